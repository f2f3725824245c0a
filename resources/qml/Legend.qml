import QtQuick

// Legend of health states and edge patterns (icon + colour + words for each).
Rectangle {
    id: legend
    required property var graph
    width: content.implicitWidth + 20
    height: content.implicitHeight + 16
    radius: 6
    color: graph.boxColor
    border.color: graph.boxBorder
    opacity: 0.95

    Column {
        id: content
        anchors.centerIn: parent
        spacing: 2
        Repeater {
            model: [
                { icon: "✔", color: "#2e9d58", text: qsTr("healthy") },
                { icon: "◐", color: "#c98a00", text: qsTr("degraded") },
                { icon: "✖", color: "#d13c3c", text: qsTr("down") },
                { icon: "↘", color: "#3a7bd5", text: qsTr("draining") },
                { icon: "■", color: "#2b5fa8", text: qsTr("drained (safe to stop)") },
                { icon: "⚙", color: "#7d6b57", text: qsTr("maintenance") },
                { icon: "≠", color: "#a347ba", text: qsTr("conflict (sources disagree)") },
                { icon: "⌛", color: legend.graph.boxBorder, text: qsTr("stale (hatched)") },
                { icon: "?", color: legend.graph.boxBorder, text: qsTr("no data yet (hatched)") },
                { icon: "——", color: legend.graph.lineColor, text: qsTr("direct (DNS), 1 hop") },
                { icon: "- -", color: legend.graph.lineColor, text: qsTr("via load balancer, 2 hops") },
                { icon: "···", color: legend.graph.lineColor, text: qsTr("via mesh, 1 hop (2 proxy hops)") },
                { icon: "⬡", color: legend.graph.mutedText, text: qsTr("task has a sidecar") }
            ]
            delegate: Row {
                required property var modelData
                spacing: 6
                Text { text: modelData.icon; color: modelData.color; font.pixelSize: 11; width: 22; font.bold: true }
                Text { text: modelData.text; color: legend.graph.mutedText; font.pixelSize: 11 }
            }
        }
    }
}
