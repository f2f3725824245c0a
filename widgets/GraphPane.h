#pragma once

#include <QWidget>

class QQuickItem;
class QQuickWidget;

namespace hopscope {

class ServiceGraphModel;

// Hosts the QML service graph in a QQuickWidget and hands it the graph model. Owns nothing but
// the widget; the model belongs to the main window. GUI thread.
class GraphPane : public QWidget
{
    Q_OBJECT
public:
    explicit GraphPane(ServiceGraphModel *model, QWidget *parent = nullptr);

    // Loads the QML. Call once the pane sits in its final window (see docs/QT64.md: a QQuickWidget
    // whose source was set before reparenting rebuilds its root and loses its properties).
    void load();

    QQuickWidget *quickWidget() const { return m_quick; }
    QQuickItem *graphItem() const;
    QString loadError() const { return m_loadError; }

public Q_SLOTS:
    void fitToView();

Q_SIGNALS:
    void nodeSelected(const QString &nodeId);
    void taskSelected(const QString &serviceId, const QString &key);
    void taskContextRequested(const QString &serviceId, const QString &key);
    void ready();

protected:
    void changeEvent(QEvent *event) override;

private:
    void applyRootProperties();
    bool isDarkPalette() const;

    ServiceGraphModel *m_model;
    QQuickWidget *m_quick;
    QString m_loadError;
};

} // namespace hopscope
