import QtQuick
import Hopscope.Views

// The service graph: service boxes and load-balancer nodes placed by the C++ layout
// (ServiceGraphModel), edges drawn in one EdgeLayer. Pan by dragging, zoom with the wheel or
// a pinch; fitToView() frames the whole graph. QML only draws and emits intents.
Item {
    id: root
    objectName: "serviceGraph"

    property var graphModel: null
    property bool dark: false
    property real zoom: 1.0
    readonly property real minZoom: 0.1
    readonly property real maxZoom: 3.0

    signal nodeSelected(string nodeId)
    signal taskSelected(string serviceId, string key)

    readonly property color background: dark ? "#1d2026" : "#f4f5f7"
    readonly property color boxColor: dark ? "#2a2f37" : "#ffffff"
    readonly property color boxBorder: dark ? "#5d6673" : "#9aa3ae"
    readonly property color textColor: dark ? "#e6e9ee" : "#1f242b"
    readonly property color mutedText: dark ? "#9aa3ae" : "#5b6470"
    readonly property color lineColor: dark ? "#8b95a3" : "#5b6470"

    function fitToView() {
        if (!graphModel || graphModel.contentSize.width <= 0)
            return
        const zx = flick.width / graphModel.contentSize.width
        const zy = flick.height / graphModel.contentSize.height
        zoom = Math.max(minZoom, Math.min(1.0, Math.min(zx, zy)))
        flick.contentX = Math.max(0, (canvas.width * zoom - flick.width) / 2)
        flick.contentY = Math.max(0, (canvas.height * zoom - flick.height) / 2)
    }

    Rectangle {
        anchors.fill: parent
        color: root.background
    }

    Flickable {
        id: flick
        anchors.fill: parent
        clip: true
        contentWidth: Math.max(width, canvas.width * root.zoom)
        contentHeight: Math.max(height, canvas.height * root.zoom)
        boundsBehavior: Flickable.StopAtBounds

        Item {
            id: canvas
            objectName: "graphCanvas"
            width: root.graphModel ? root.graphModel.contentSize.width : 0
            height: root.graphModel ? root.graphModel.contentSize.height : 0
            scale: root.zoom
            transformOrigin: Item.TopLeft
            x: Math.max(0, (flick.width - width * root.zoom) / 2)
            y: Math.max(0, (flick.height - height * root.zoom) / 2)

            EdgeLayer {
                id: edgeLayer
                objectName: "edgeLayer"
                anchors.fill: parent
                edges: root.graphModel ? root.graphModel.edges : []
                lineColor: root.lineColor
                badgeColor: root.boxColor
                textColor: root.textColor
                showLabels: root.zoom > 0.35
                renderScale: root.zoom
            }

            Repeater {
                model: root.graphModel
                delegate: ServiceBox {
                    graph: root
                    onClicked: root.nodeSelected(nodeId)
                    onTaskClicked: (key) => root.taskSelected(nodeId, key)
                }
            }
        }

        WheelHandler {
            acceptedModifiers: Qt.NoModifier | Qt.ControlModifier
            onWheel: (event) => {
                const factor = event.angleDelta.y > 0 ? 1.15 : 1 / 1.15
                root.zoom = Math.max(root.minZoom, Math.min(root.maxZoom, root.zoom * factor))
            }
        }
        PinchHandler {
            target: null
            onActiveScaleChanged: root.zoom = Math.max(root.minZoom, Math.min(root.maxZoom, root.zoom * activeScale))
        }
    }

    Text {
        anchors.centerIn: parent
        visible: !root.graphModel || root.graphModel.contentSize.width <= 0
        text: qsTr("Open a cluster profile (File → Open) to see its services.")
        color: root.mutedText
        font.pixelSize: 15
    }

    Legend {
        anchors.right: parent.right
        anchors.bottom: parent.bottom
        anchors.margins: 12
        graph: root
        visible: root.graphModel && root.graphModel.contentSize.width > 0
    }
}
