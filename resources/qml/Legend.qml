import QtQuick
import Hopscope.Views

// Legend of health states, edge patterns and traffic (icon + colour + words for each), from the
// painting core's style table (the HealthStyle singleton). A strip under the graph, never over
// it (the graph's area ends where it starts); the toggle folds it to one short line. Its top
// right holds the health | traffic emphasis switch (View → Traffic Emphasis), visible folded
// too; in traffic emphasis the strip explains the traffic drawing and has the label switch.
Rectangle {
    id: legend
    required property var graph
    property bool expanded: true
    readonly property int textSize: HealthStyle.smallPixelSize

    readonly property var graphModel: graph.graphModel
    readonly property bool traffic: graphModel !== null && graphModel !== undefined && graphModel.trafficEmphasis

    implicitHeight: expanded ? Math.max(controls.implicitHeight, entries.implicitHeight) + 12 : controls.implicitHeight + 8
    height: implicitHeight
    color: graph.boxColor

    Rectangle { width: parent.width; height: 1; color: legend.graph.boxBorder }

    // A switch in words: the current choice bold and underlined, so it reads without colour.
    component Choice: Text {
        property bool chosen: false
        signal chosenByUser()
        color: chosen ? legend.graph.textColor : legend.graph.mutedText
        font.pixelSize: legend.textSize
        font.bold: chosen
        font.underline: chosen
        Accessible.role: Accessible.RadioButton
        Accessible.checkable: true
        Accessible.checked: chosen
        Accessible.name: text
        TapHandler { onTapped: parent.chosenByUser() }
    }

    Row {
        id: controls
        anchors.top: parent.top
        anchors.right: parent.right
        anchors.margins: 5
        spacing: 10
        Choice {
            objectName: "emphasisHealth"
            text: qsTr("health")
            chosen: !legend.traffic
            onChosenByUser: if (legend.graphModel) legend.graphModel.trafficEmphasis = false
            Accessible.name: qsTr("Health emphasis")
        }
        Text { text: "|"; color: legend.graph.mutedText; font.pixelSize: legend.textSize }
        Choice {
            objectName: "emphasisTraffic"
            text: qsTr("traffic")
            chosen: legend.traffic
            onChosenByUser: if (legend.graphModel) legend.graphModel.trafficEmphasis = true
            Accessible.name: qsTr("Traffic emphasis")
        }
        Text {
            id: toggle
            objectName: "legendToggle"
            text: legend.expanded ? qsTr("Legend ▾") : qsTr("Legend ▴")
            color: legend.graph.mutedText
            font.pixelSize: legend.textSize
            Accessible.role: Accessible.Button
            Accessible.name: legend.expanded ? qsTr("Fold the legend") : qsTr("Show the legend")
            TapHandler {
                onTapped: legend.expanded = !legend.expanded
            }
        }
    }

    Flow {
        id: entries
        visible: legend.expanded
        anchors.top: parent.top
        anchors.left: parent.left
        anchors.right: controls.left
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
        // The traffic entries while traffic is emphasised (the health states above still
        // explain the boxes then); folded away in health emphasis to keep the strip short.
        Text {
            visible: legend.traffic
            text: qsTr("Traffic:")
            color: legend.graph.textColor
            font.pixelSize: legend.textSize
        }
        Text {
            objectName: "trafficLabelsToggle"
            visible: legend.traffic
            text: (legend.graphModel && legend.graphModel.trafficLabels ? "☑ " : "☐ ") + qsTr("labels")
            color: legend.graph.mutedText
            font.pixelSize: legend.textSize
            Accessible.role: Accessible.CheckBox
            Accessible.checkable: true
            Accessible.checked: legend.graphModel !== null && legend.graphModel.trafficLabels
            Accessible.name: qsTr("Traffic labels on edges")
            TapHandler { onTapped: if (legend.graphModel) legend.graphModel.trafficLabels = !legend.graphModel.trafficLabels }
        }
        Repeater {
            model: legend.traffic ? HealthStyle.trafficLegend(legend.graph.dark) : []
            delegate: Row {
                required property var modelData
                spacing: 4
                Text { text: modelData.icon; color: modelData.colour; font.pixelSize: legend.textSize; font.bold: true }
                Text { text: modelData.text; color: legend.graph.mutedText; font.pixelSize: legend.textSize }
            }
        }
    }
}
