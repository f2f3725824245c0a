import QtQuick

// The interactive part of one node when GraphLayer paints the graph: an invisible item where
// the box is, with its task chips and collapse toggle as invisible children (objectNames
// "service:<id>" / "lb:<id>", "task:<key>", "collapse:<id>"), taps and accessible names. It
// draws nothing, so the software renderer has nothing to repaint when it moves.
Item {
    id: box
    required property string nodeId
    required property string kind
    required property string title
    required property string healthText
    required property string reason
    required property rect rect
    required property var tasks
    required property bool collapsed

    signal clicked()
    signal taskClicked(string key)
    signal taskContextRequested(string key)
    signal toggleCollapsed()

    objectName: (kind === "lb" ? "lb:" : "service:") + nodeId.replace(/^lb:/, "")
    x: rect.x
    y: rect.y
    width: rect.width
    height: rect.height
    Accessible.role: Accessible.Button
    Accessible.name: title + ": " + healthText
    Accessible.description: reason

    // A count, not the list: a poll that changes a task's health rebinds the chips' properties
    // instead of destroying and creating them again.
    Repeater {
        model: box.collapsed || box.kind !== "service" ? 0 : box.tasks.length
        delegate: Item {
            required property int index
            // A TaskChip: typed health, the chip's rectangle as the model placed it.
            readonly property var modelData: box.tasks[index]
            objectName: "task:" + (modelData ? modelData.key : "")
            x: modelData ? modelData.rect.x : 0
            y: modelData ? modelData.rect.y : 0
            width: modelData ? modelData.rect.width : 0
            height: modelData ? modelData.rect.height : 0
            Accessible.role: Accessible.Button
            Accessible.name: modelData ? modelData.label + ": " + modelData.healthText : ""
            Accessible.description: modelData ? modelData.reason : ""
            TapHandler {
                onTapped: box.taskClicked(parent.modelData.key)
            }
            // Right-click (or a long press on touch) asks for the task's context menu.
            TapHandler {
                acceptedButtons: Qt.RightButton
                onTapped: box.taskContextRequested(parent.modelData.key)
            }
            TapHandler {
                onLongPressed: box.taskContextRequested(parent.modelData.key)
            }
        }
    }

    Item {
        objectName: "collapse:" + box.nodeId
        visible: box.kind === "service"
        anchors.right: parent.right
        anchors.top: parent.top
        anchors.margins: 5
        width: 20
        height: 20
        Accessible.role: Accessible.Button
        Accessible.name: box.collapsed ? qsTr("Expand %1").arg(box.title) : qsTr("Collapse %1").arg(box.title)
        TapHandler {
            onTapped: box.toggleCollapsed()
        }
    }

    TapHandler {
        // A tap on a task chip is the chip's (taskClicked): the box's handler sees it too, and
        // selecting the service after the task would show the service in the details.
        onTapped: (eventPoint, button) => {
            const p = box.mapFromItem(null, eventPoint.scenePosition.x, eventPoint.scenePosition.y)
            const hit = box.childAt(p.x, p.y)
            if (hit && hit.objectName.startsWith("task:"))
                return
            box.clicked()
        }
    }
}
