import QtQuick
import Hopscope.Views

// The service graph: service boxes and load-balancer nodes placed by the C++ layout
// (ServiceGraphModel), drawn by GraphLayer (the painting core's painter, from cached tiles).
// Pan by dragging, zoom with the wheel or a pinch around the cursor; fitToView() frames the
// whole graph. Keyboard: Tab/arrows move between boxes, Enter selects, Space collapses or
// expands, +/- zoom, 0 fits. Only the boxes near the viewport have (invisible) hit areas
// (VisibleNodes); zoomed out, GraphLayer draws the overview (level of detail). The legend sits
// under the graph, never over it, and folds away. QML only lays out and emits intents.
FocusScope {
    id: root
    objectName: "serviceGraph"

    property var graphModel: null
    property bool dark: false
    property real zoom: 1.0
    readonly property real minZoom: 0.02
    readonly property real maxZoom: 3.0
    // Below this zoom the overview replaces the boxes: labels dropped, tasks as dots, edges
    // aggregated.
    property real lodZoom: 0.45
    readonly property bool lod: zoom < lodZoom
    property int currentRow: -1
    property alias legendExpanded: legend.expanded
    readonly property alias graphLayerItem: graphLayer
    readonly property alias canvasItem: canvas
    readonly property alias graphAreaItem: graphArea
    readonly property alias delegateCount: visibleNodes.count
    // The content rectangle on screen.
    readonly property rect viewport: Qt.rect((flick.contentX - canvas.x) / zoom, (flick.contentY - canvas.y) / zoom,
                                             flick.width / zoom, flick.height / zoom)

    signal nodeSelected(string nodeId)
    signal taskSelected(string serviceId, string key)
    // The operator asked for a task's actions (right-click): the widgets show the menu.
    signal taskContextRequested(string serviceId, string key)

    // The palette of the painting core's style table (GraphStyle), for the QML around the graph.
    readonly property var palette: HealthStyle.palette(dark)
    readonly property color background: palette.background
    readonly property color boxColor: palette.box
    readonly property color boxBorder: palette.border
    readonly property color textColor: palette.text
    readonly property color mutedText: palette.muted
    readonly property color lineColor: palette.line
    readonly property color focusColor: palette.focus

    // True while the view shows the fitted graph (until the operator zooms or pans): the view
    // then follows the graph area's size (the window, the legend folding) and stays fitted.
    property bool fitted: false

    function fitToView() {
        if (!graphModel || graphModel.contentSize.width <= 0)
            return
        fitted = true
        const zx = flick.width / graphModel.contentSize.width
        const zy = flick.height / graphModel.contentSize.height
        zoom = Math.max(minZoom, Math.min(1.0, Math.min(zx, zy)))
        flick.contentX = Math.max(0, (canvas.width * zoom - flick.width) / 2)
        flick.contentY = Math.max(0, (canvas.height * zoom - flick.height) / 2)
    }

    // Zooms by `factor` keeping the content point under (px, py) (view coordinates) in place.
    function zoomAt(factor, px, py) {
        fitted = false
        const cx = (flick.contentX + px - canvas.x) / zoom
        const cy = (flick.contentY + py - canvas.y) / zoom
        zoom = Math.max(minZoom, Math.min(maxZoom, zoom * factor))
        flick.contentX = Math.max(0, Math.min(flick.contentWidth - flick.width, canvas.x + cx * zoom - px))
        flick.contentY = Math.max(0, Math.min(flick.contentHeight - flick.height, canvas.y + cy * zoom - py))
    }

    // Pans by (dx, dy) view pixels, within the content.
    function panBy(dx, dy) {
        fitted = false
        flick.contentX = Math.max(0, Math.min(flick.contentWidth - flick.width, flick.contentX + dx))
        flick.contentY = Math.max(0, Math.min(flick.contentHeight - flick.height, flick.contentY + dy))
    }

    // Pans so that the node's box is on screen.
    function reveal(row) {
        if (!graphModel || row < 0)
            return
        const r = graphModel.nodeRect(row)
        const left = canvas.x + r.x * zoom, top = canvas.y + r.y * zoom
        const right = left + r.width * zoom, bottom = top + r.height * zoom
        if (left < flick.contentX + 10)
            flick.contentX = Math.max(0, left - 40)
        else if (right > flick.contentX + flick.width - 10)
            flick.contentX = Math.min(flick.contentWidth - flick.width, right - flick.width + 40)
        if (top < flick.contentY + 10)
            flick.contentY = Math.max(0, top - 40)
        else if (bottom > flick.contentY + flick.height - 10)
            flick.contentY = Math.min(flick.contentHeight - flick.height, bottom - flick.height + 40)
    }

    function moveCurrent(row) {
        if (row >= 0) {
            currentRow = row
            reveal(row)
        }
    }

    focus: true
    activeFocusOnTab: true
    Keys.onTabPressed: (event) => { if (graphModel) moveCurrent(graphModel.nextInTabOrder(currentRow, false)); event.accepted = true }
    Keys.onBacktabPressed: (event) => { if (graphModel) moveCurrent(graphModel.nextInTabOrder(currentRow, true)); event.accepted = true }
    Keys.onPressed: (event) => {
        if (!graphModel)
            return
        const dirs = { [Qt.Key_Left]: [-1, 0], [Qt.Key_Right]: [1, 0], [Qt.Key_Up]: [0, -1], [Qt.Key_Down]: [0, 1] }
        if (dirs[event.key] !== undefined) {
            const d = dirs[event.key]
            moveCurrent(currentRow < 0 ? graphModel.nextInTabOrder(-1, false)
                                       : graphModel.neighbour(currentRow, d[0], d[1]))
            event.accepted = true
        } else if (event.key === Qt.Key_Return || event.key === Qt.Key_Enter) {
            if (currentRow >= 0)
                nodeSelected(graphModel.nodeIdAt(currentRow))
            event.accepted = true
        } else if (event.key === Qt.Key_Space) {
            if (currentRow >= 0)
                graphModel.toggleCollapsed(graphModel.nodeIdAt(currentRow))
            event.accepted = true
        } else if (event.key === Qt.Key_Plus || event.key === Qt.Key_Equal) {
            zoomAt(1.25, flick.width / 2, flick.height / 2)
            event.accepted = true
        } else if (event.key === Qt.Key_Minus) {
            zoomAt(0.8, flick.width / 2, flick.height / 2)
            event.accepted = true
        } else if (event.key === Qt.Key_0) {
            fitToView()
            event.accepted = true
        }
    }

    Item {
        id: graphArea
        anchors.left: parent.left
        anchors.top: parent.top
        anchors.right: parent.right
        anchors.bottom: legend.visible ? legend.top : parent.bottom
        clip: true
        onWidthChanged: if (root.fitted) root.fitToView()
        onHeightChanged: if (root.fitted) root.fitToView()

        // The whole graph (edges, boxes, chips; zoomed out the overview) from cached tiles.
        GraphLayer {
            id: graphLayer
            objectName: "graphLayer"
            anchors.fill: parent
            graphModel: root.graphModel
            viewport: root.viewport
            renderScale: root.zoom
            dark: root.dark
            lodZoom: root.lodZoom
            labelZoom: 0.35
        }

        VisibleNodes {
            id: visibleNodes
            sourceModel: root.graphModel
            viewport: root.lod ? Qt.rect(0, 0, 0, 0) : root.viewport
        }

        Flickable {
            id: flick
            anchors.fill: parent
            clip: true
            contentWidth: Math.max(width, canvas.width * root.zoom)
            contentHeight: Math.max(height, canvas.height * root.zoom)
            boundsBehavior: Flickable.StopAtBounds
        onMovementStarted: root.fitted = false

            Item {
                id: canvas
                objectName: "graphCanvas"
                width: root.graphModel ? root.graphModel.contentSize.width : 0
                height: root.graphModel ? root.graphModel.contentSize.height : 0
                scale: root.zoom
                transformOrigin: Item.TopLeft
                x: Math.max(0, (flick.width - width * root.zoom) / 2)
                y: Math.max(0, (flick.height - height * root.zoom) / 2)

                Repeater {
                    model: root.lod ? null : visibleNodes
                    delegate: HitBox {
                        onClicked: { root.currentRow = root.graphModel.rowOfId(nodeId); root.forceActiveFocus(); root.nodeSelected(nodeId) }
                        onTaskClicked: (key) => root.taskSelected(nodeId, key)
                        onTaskContextRequested: (key) => { root.taskSelected(nodeId, key); root.taskContextRequested(nodeId, key) }
                        onToggleCollapsed: root.graphModel.toggleCollapsed(nodeId)
                    }
                }
                // Keyboard focus ring around the current box (one item, not one per delegate).
                Rectangle {
                    objectName: "focusRing"
                    visible: root.currentRow >= 0 && root.activeFocus
                    readonly property rect r: root.graphModel && root.currentRow >= 0 && root.graphModel.contentSize.width > 0
                                              ? root.graphModel.nodeRect(root.currentRow) : Qt.rect(0, 0, 0, 0)
                    x: r.x - 5; y: r.y - 5; width: r.width + 10; height: r.height + 10
                    radius: 9
                    color: "transparent"
                    border.color: root.focusColor
                    border.width: 2.5 / Math.max(0.3, root.zoom)
                }
            }

            WheelHandler {
                id: wheel
                onWheel: (event) => {
                    const p = wheel.parent.mapToItem(flick, event.x, event.y)
                    root.zoomAt(event.angleDelta.y > 0 ? 1.15 : 1 / 1.15, p.x, p.y)
                }
            }
            PinchHandler {
                id: pinch
                target: null
                property real last: 1.0
                onActiveChanged: last = 1.0
                onActiveScaleChanged: {
                    const p = pinch.parent.mapToItem(flick, pinch.centroid.position.x, pinch.centroid.position.y)
                    root.zoomAt(activeScale / last, p.x, p.y)
                    last = activeScale
                }
            }
        }

        Text {
            anchors.centerIn: parent
            visible: !root.graphModel || root.graphModel.contentSize.width <= 0
            text: qsTr("Open a cluster profile (File → Open) to see its services.")
            color: root.mutedText
            font.pixelSize: 15
        }
    }

    // Under the graph (the graph area ends where it starts), folded to one line on demand.
    Legend {
        id: legend
        objectName: "legend"
        anchors.left: parent.left
        anchors.right: parent.right
        anchors.bottom: parent.bottom
        graph: root
        visible: root.graphModel !== null && root.graphModel.contentSize.width > 0
    }
}
