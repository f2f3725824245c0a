import QtQuick

// One node of the graph: a service box with its tasks, or a load-balancer node. Health is shown
// by colour, an icon and words together; "no data yet" is its own state and is never drawn as
// healthy.
Rectangle {
    id: box
    required property var graph
    required property string nodeId
    required property string kind
    required property string title
    required property string subtitle
    required property string health
    required property rect rect
    required property var tasks
    required property string reason
    required property string icon
    required property string detail
    required property bool collapsed
    required property int taskCount

    signal clicked()
    signal taskClicked(string key)
    signal toggleCollapsed()

    objectName: (kind === "lb" ? "lb:" : "service:") + nodeId.replace(/^lb:/, "")
    x: rect.x
    y: rect.y
    width: rect.width
    height: rect.height
    radius: kind === "lb" ? height / 2 : 6
    color: graph.boxColor
    border.width: kind === "lb" ? 2 : 1.5
    border.color: healthColor(health)

    function healthColor(h) {
        switch (h) {
        case "healthy": return "#2e9d58"
        case "degraded": return "#c98a00"
        case "down": return "#d13c3c"
        case "draining": return "#3a7bd5"
        case "drained": return "#2b5fa8"
        case "maintenance": return "#7d6b57"
        case "conflict": return "#a347ba"
        default: return graph.boxBorder      // nodata, unknown, stale
        }
    }

    // Stale and no-data boxes are hatched, so the state reads without colour.
    Canvas {
        anchors.fill: parent
        anchors.margins: 2
        visible: box.health === "nodata" || box.health === "stale" || box.health === "unknown"
        opacity: 0.18
        onWidthChanged: requestPaint()
        onHeightChanged: requestPaint()
        onPaint: {
            const ctx = getContext("2d")
            ctx.clearRect(0, 0, width, height)
            ctx.strokeStyle = box.graph.mutedText
            ctx.lineWidth = 1
            for (let i = -height; i < width; i += 9) {
                ctx.beginPath()
                ctx.moveTo(i, height)
                ctx.lineTo(i + height, 0)
                ctx.stroke()
            }
        }
    }

    Column {
        anchors.fill: parent
        anchors.margins: 8
        spacing: 3
        visible: box.kind === "service"

        Row {
            spacing: 6
            width: parent.width
            Text {
                text: box.icon
                color: box.healthColor(box.health)
                font.pixelSize: 15
                font.bold: true
            }
            Text {
                text: box.title
                color: box.graph.textColor
                font.pixelSize: 15
                font.bold: true
                elide: Text.ElideRight
                width: parent.width - 48
            }
        }
        Text {
            text: box.collapsed && box.taskCount > 0 ? box.subtitle + qsTr(" · %n task(s) hidden", "", box.taskCount) : box.subtitle
            color: box.graph.mutedText
            font.pixelSize: 11
            elide: Text.ElideMiddle
            width: parent.width
        }
        Text {
            visible: box.tasks.length === 0 && !box.collapsed
            width: parent.width
            elide: Text.ElideMiddle
            text: box.detail
            color: box.graph.mutedText
            font.pixelSize: 10
            font.italic: true
        }
        Flow {
            width: parent.width
            spacing: 4
            visible: !box.collapsed
            Repeater {
                model: box.collapsed ? [] : box.tasks
                delegate: Rectangle {
                    id: chip
                    required property var modelData
                    readonly property bool stale: modelData.health === "stale" || modelData.health === "unknown"
                    objectName: "task:" + modelData.key
                    height: 18
                    width: box.width - 16
                    radius: 9
                    color: Qt.rgba(chipColor.r, chipColor.g, chipColor.b, stale ? 0.08 : 0.16)
                    readonly property color chipColor: box.healthColor(modelData.health)
                    border.color: chipColor
                    border.width: modelData.health === "healthy" ? 1 : 1.6
                    opacity: stale ? 0.75 : 1.0
                    Row {
                        anchors.centerIn: parent
                        spacing: 2
                        Text {
                            text: chip.modelData.icon
                            color: chip.chipColor
                            font.pixelSize: 10
                            font.bold: true
                        }
                        Text {
                            text: chip.modelData.label
                            color: box.graph.textColor
                            font.pixelSize: 10
                            font.italic: chip.stale
                            elide: Text.ElideLeft
                            width: Math.min(implicitWidth, chip.width - (chip.modelData.sidecar ? 34 : 22))
                        }
                        Text {
                            visible: chip.modelData.sidecar
                            text: "⬡"
                            color: box.graph.mutedText
                            font.pixelSize: 10
                        }
                    }
                    TapHandler {
                        onTapped: box.taskClicked(chip.modelData.key)
                    }
                }
            }
        }
    }

    Column {
        anchors.centerIn: parent
        visible: box.kind === "lb"
        Text {
            anchors.horizontalCenter: parent.horizontalCenter
            text: (box.health === "nodata" ? "" : box.icon + " ") + "⇄ " + box.title
            color: box.graph.textColor
            font.pixelSize: 13
            font.bold: true
        }
        Text {
            anchors.horizontalCenter: parent.horizontalCenter
            text: box.subtitle
            color: box.graph.mutedText
            font.pixelSize: 10
        }
    }

    // Collapse/expand toggle: a triangle that also says it in words for screen readers.
    Rectangle {
        id: toggle
        objectName: "collapse:" + box.nodeId
        visible: box.kind === "service"
        anchors.right: parent.right
        anchors.top: parent.top
        anchors.margins: 5
        width: 20
        height: 20
        radius: 4
        color: toggleTap.pressed ? Qt.rgba(0.5, 0.5, 0.5, 0.3) : "transparent"
        border.color: box.graph.boxBorder
        border.width: 1
        Accessible.role: Accessible.Button
        Accessible.name: box.collapsed ? qsTr("Expand %1").arg(box.title) : qsTr("Collapse %1").arg(box.title)
        Text {
            anchors.centerIn: parent
            text: box.collapsed ? "▸" : "▾"
            color: box.graph.mutedText
            font.pixelSize: 13
        }
        TapHandler {
            id: toggleTap
            onTapped: box.toggleCollapsed()
        }
    }

    TapHandler {
        onTapped: box.clicked()
    }
}
