import QtQuick
import Hopscope.Views

// Legend of health states and edge patterns (icon + colour + words for each), from the painting
// core's style table (the HealthStyle singleton). A strip under the graph, never over it (the
// graph's area ends where it starts); the toggle folds it to one short line.
Rectangle {
    id: legend
    required property var graph
    property bool expanded: true
    readonly property int textSize: HealthStyle.smallPixelSize

    implicitHeight: expanded ? Math.max(toggle.implicitHeight, entries.implicitHeight) + 12 : toggle.implicitHeight + 8
    height: implicitHeight
    color: graph.boxColor

    Rectangle { width: parent.width; height: 1; color: legend.graph.boxBorder }

    Text {
        id: toggle
        objectName: "legendToggle"
        anchors.top: parent.top
        anchors.right: parent.right
        anchors.margins: 5
        text: legend.expanded ? qsTr("Legend ▾") : qsTr("Legend ▴")
        color: legend.graph.mutedText
        font.pixelSize: legend.textSize
        Accessible.role: Accessible.Button
        Accessible.name: legend.expanded ? qsTr("Fold the legend") : qsTr("Show the legend")
        TapHandler {
            onTapped: legend.expanded = !legend.expanded
        }
    }

    Flow {
        id: entries
        visible: legend.expanded
        anchors.top: parent.top
        anchors.left: parent.left
        anchors.right: toggle.left
        anchors.margins: 6
        spacing: 14
        Repeater {
            model: HealthStyle.states
            delegate: Row {
                required property var modelData
                spacing: 4
                Text {
                    text: HealthStyle.icon(modelData)
                    color: HealthStyle.colour(modelData, legend.graph.dark)
                    font.pixelSize: legend.textSize; font.bold: true
                }
                Text { text: HealthStyle.label(modelData); color: legend.graph.mutedText; font.pixelSize: legend.textSize }
            }
        }
        Repeater {
            model: [
                { icon: "——", text: qsTr("direct (DNS), 1 hop") },
                { icon: "- -", text: qsTr("via load balancer, 2 hops") },
                { icon: "···", text: qsTr("via mesh, 1 hop (2 proxy hops)") },
                { icon: "✖", text: qsTr("red edge: via a down or stale LB") },
                { icon: "⬡", text: qsTr("task has a sidecar") }
            ]
            delegate: Row {
                required property var modelData
                spacing: 4
                Text { text: modelData.icon; color: legend.graph.lineColor; font.pixelSize: legend.textSize; font.bold: true }
                Text { text: modelData.text; color: legend.graph.mutedText; font.pixelSize: legend.textSize }
            }
        }
    }
}
