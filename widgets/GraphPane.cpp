#include "GraphPane.h"

#include "topology/ServiceGraphModel.h"

#include <QEvent>
#include <QQmlEngine>
#include <QQmlError>
#include <QQuickItem>
#include <QQuickWidget>
#include <QVBoxLayout>

namespace hopscope {

GraphPane::GraphPane(ServiceGraphModel *model, QWidget *parent)
    : QWidget(parent)
    , m_model(model)
    , m_quick(new QQuickWidget(this))
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_quick);
    m_quick->setResizeMode(QQuickWidget::SizeRootObjectToView);
    m_quick->engine()->addImportPath(QStringLiteral("qrc:/"));
    m_quick->setFocusPolicy(Qt::StrongFocus);
    connect(m_quick, &QQuickWidget::statusChanged, this, [this](QQuickWidget::Status status) {
        if (status == QQuickWidget::Ready) {
            applyRootProperties();
            Q_EMIT ready();
        } else if (status == QQuickWidget::Error) {
            QStringList errors;
            for (const QQmlError &e : m_quick->errors()) {
                errors.append(e.toString());
            }
            m_loadError = errors.join(QLatin1Char('\n'));
            qWarning("hopscope: the graph view failed to load: %s", qPrintable(m_loadError));
        }
    });
    connect(m_model, &ServiceGraphModel::profileChanged, this, [this] {
        // Frame a newly opened profile once its layout exists.
        QMetaObject::invokeMethod(this, &GraphPane::fitToView, Qt::QueuedConnection);
    });
}

void GraphPane::load()
{
    m_quick->setSource(QUrl(QStringLiteral("qrc:/Hopscope/Views/ServiceGraph.qml")));
}

QQuickItem *GraphPane::graphItem() const
{
    return m_quick->rootObject();
}

void GraphPane::applyRootProperties()
{
    QQuickItem *root = m_quick->rootObject();
    if (!root) {
        return;
    }
    root->setProperty("graphModel", QVariant::fromValue<QObject *>(m_model));
    root->setProperty("dark", isDarkPalette());
    // A signal declared in QML has no C++ member function to point a PMF connect at.
    connect(root, SIGNAL(nodeSelected(QString)), this, SIGNAL(nodeSelected(QString)),
            Qt::UniqueConnection);
    connect(root, SIGNAL(taskSelected(QString,QString)), this, SIGNAL(taskSelected(QString,QString)),
            Qt::UniqueConnection);
    connect(root, SIGNAL(taskContextRequested(QString,QString)), this,
            SIGNAL(taskContextRequested(QString,QString)), Qt::UniqueConnection);
}

void GraphPane::fitToView()
{
    if (QQuickItem *root = m_quick->rootObject()) {
        QMetaObject::invokeMethod(root, "fitToView");
    }
}

bool GraphPane::isDarkPalette() const
{
    return palette().color(QPalette::Window).lightness() < 128;
}

void GraphPane::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::PaletteChange) {
        if (QQuickItem *root = m_quick->rootObject()) {
            root->setProperty("dark", isDarkPalette());
        }
    }
    QWidget::changeEvent(event);
}

} // namespace hopscope
