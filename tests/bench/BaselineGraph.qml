import QtQuick
import QtQuick.Shapes
import Hopscope.Views

// The benchmark's baseline (docs/PERF.md's first design): a QML box per visible node (VisibleNodes)
// and one QML Shape per edge inside the zoomed canvas, no tiles, no level of detail. The same
// interface the benchmark drives on ServiceGraph.qml (zoom, viewport, fitToView, zoomAt, panBy,
// reveal, canvasItem, delegateCount); `edges` is set from C++ (GraphScene::endpoints).
Item {
    id: root
    property var graphModel: null
    property var edges: []
    property bool dark: false
    property real zoom: 1.0
    property real lodZoom: 0
    readonly property var graphLayerItem: null
    readonly property alias canvasItem: canvas
    readonly property alias delegateCount: visibleNodes.count
    readonly property rect viewport: Qt.rect((flick.contentX - canvas.x) / zoom, (flick.contentY - canvas.y) / zoom,
                                             flick.width / zoom, flick.height / zoom)

    function fitToView() {
        if (!graphModel || graphModel.contentSize.width <= 0)
            return
        zoom = Math.max(0.02, Math.min(1.0, Math.min(flick.width / graphModel.contentSize.width,
                                                     flick.height / graphModel.contentSize.height)))
        flick.contentX = Math.max(0, (canvas.width * zoom - flick.width) / 2)
        flick.contentY = Math.max(0, (canvas.height * zoom - flick.height) / 2)
    }
    function zoomAt(factor, px, py) {
        const cx = (flick.contentX + px - canvas.x) / zoom
        const cy = (flick.contentY + py - canvas.y) / zoom
        zoom = Math.max(0.02, Math.min(3.0, zoom * factor))
        flick.contentX = Math.max(0, Math.min(flick.contentWidth - flick.width, canvas.x + cx * zoom - px))
        flick.contentY = Math.max(0, Math.min(flick.contentHeight - flick.height, canvas.y + cy * zoom - py))
    }
    function panBy(dx, dy) {
        flick.contentX = Math.max(0, Math.min(flick.contentWidth - flick.width, flick.contentX + dx))
        flick.contentY = Math.max(0, Math.min(flick.contentHeight - flick.height, flick.contentY + dy))
    }
    function reveal(row) {
        const r = graphModel.nodeRect(row)
        flick.contentX = Math.max(0, Math.min(flick.contentWidth - flick.width, canvas.x + r.x * zoom - 40))
        flick.contentY = Math.max(0, Math.min(flick.contentHeight - flick.height, canvas.y + r.y * zoom - 40))
    }

    Rectangle { anchors.fill: parent; color: "#f4f5f7" }

    VisibleNodes {
        id: visibleNodes
        sourceModel: root.graphModel
        viewport: root.viewport
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
            width: root.graphModel ? root.graphModel.contentSize.width : 0
            height: root.graphModel ? root.graphModel.contentSize.height : 0
            scale: root.zoom
            transformOrigin: Item.TopLeft
            x: Math.max(0, (flick.width - width * root.zoom) / 2)
            y: Math.max(0, (flick.height - height * root.zoom) / 2)

            Repeater {
                model: root.edges
                delegate: Shape {
                    required property var modelData
                    ShapePath {
                        strokeColor: "#5b6470"; strokeWidth: 1.8; fillColor: "transparent"
                        strokeStyle: modelData.pattern === "dns" ? ShapePath.SolidLine : ShapePath.DashLine
                        startX: modelData.x1; startY: modelData.y1
                        PathCubic {
                            x: modelData.x2; y: modelData.y2
                            control1X: (modelData.x1 + modelData.x2) / 2; control1Y: modelData.y1
                            control2X: (modelData.x1 + modelData.x2) / 2; control2Y: modelData.y2
                        }
                    }
                }
            }
            Repeater {
                model: visibleNodes
                delegate: Rectangle {
                    required property rect rect
                    required property string title
                    required property string subtitle
                    required property var tasks
                    x: rect.x; y: rect.y; width: rect.width; height: rect.height
                    radius: 6
                    border.color: "#2e9d58"; border.width: 1.5
                    Text { x: 8; y: 8; text: parent.title; font.pixelSize: 15; font.bold: true }
                    Text { x: 8; y: 30; text: parent.subtitle; font.pixelSize: 12; color: "#5b6470" }
                    Repeater {
                        model: parent.tasks
                        delegate: Rectangle {
                            required property var modelData
                            x: modelData.rect.x; y: modelData.rect.y
                            width: modelData.rect.width; height: modelData.rect.height
                            radius: 9; color: "#e3f2e8"; border.color: "#2e9d58"
                            Text { anchors.centerIn: parent; text: parent.modelData.label; font.pixelSize: 12 }
                        }
                    }
                }
            }
        }
    }
}
