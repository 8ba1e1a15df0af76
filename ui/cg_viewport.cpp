#include "ui/cg_viewport.h"

#include <QGuiApplication>
#include <QLabel>
#include <QOffscreenSurface>
#include <QOpenGLContext>
#include <QQuaternion>
#include <QStackedLayout>
#include <QVBoxLayout>

#include <Qt3DCore/QAttribute>
#include <Qt3DCore/QBuffer>
#include <Qt3DCore/QEntity>
#include <Qt3DCore/QGeometry>
#include <Qt3DCore/QTransform>
#include <Qt3DExtras/QCylinderMesh>
#include <Qt3DExtras/QDiffuseSpecularMaterial>
#include <Qt3DExtras/QForwardRenderer>
#include <Qt3DExtras/QOrbitCameraController>
#include <Qt3DExtras/QPhongMaterial>
#include <Qt3DExtras/QSphereMesh>
#include <Qt3DExtras/Qt3DWindow>
#include <Qt3DRender/QCamera>
#include <Qt3DRender/QDirectionalLight>
#include <Qt3DRender/QGeometryRenderer>

#include <algorithm>
#include <cmath>
#include <cstring>

namespace kizu::ui {

using Qt3DCore::QAttribute;

QColor colorOfTemperature(double kelvin)
{
    const double t = std::clamp(kelvin, 1000.0, 40000.0) / 100.0;
    double r, g, b;
    if (t <= 66) {
        r = 255;
        g = 99.4708025861 * std::log(t) - 161.1195681661;
    } else {
        r = 329.698727446 * std::pow(t - 60, -0.1332047592);
        g = 288.1221695283 * std::pow(t - 60, -0.0755148492);
    }
    if (t >= 66)
        b = 255;
    else if (t <= 19)
        b = 0;
    else
        b = 138.5177312231 * std::log(t - 10) - 305.0447927307;
    auto c = [](double v) { return int(std::clamp(v, 0.0, 255.0)); };
    return QColor(c(r), c(g), c(b));
}

bool CgViewport::canRender3D()
{
    if (qEnvironmentVariableIsSet("KIZU_NO_3D")) return false;
    const QString platform = QGuiApplication::platformName();
    if (platform == QLatin1String("offscreen") || platform == QLatin1String("minimal"))
        return false;
    QOpenGLContext context;
    if (!context.create()) return false;
    QOffscreenSurface surface;
    surface.setFormat(context.format());
    surface.create();
    return surface.isValid() && context.makeCurrent(&surface);
}

CgViewport::CgViewport(QWidget* parent) : QWidget(parent)
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);
    if (!canRender3D()) {
        m_notice =
            new QLabel(tr("The 3D view is unavailable here: no OpenGL context (platform \"%1\").\n"
                          "The rendered image, the parameters, batches and export all still work.")
                           .arg(QGuiApplication::platformName()));
        m_notice->setAlignment(Qt::AlignCenter);
        m_notice->setWordWrap(true);
        m_notice->setStyleSheet(QStringLiteral("color: palette(mid);"));
        layout->addWidget(m_notice, 1);
    } else {
        build3D();
        QWidget* container = QWidget::createWindowContainer(m_window, this);
        container->setMinimumSize(240, 200);
        container->setFocusPolicy(Qt::StrongFocus);
        container->setToolTip(tr("Right drag: orbit  ·  left drag: pan  ·  wheel: zoom  ·  "
                                 "V: reset view  ·  H: highlight the defect"));
        layout->addWidget(container, 1);
    }
    m_info = new QLabel;
    m_info->setStyleSheet(QStringLiteral("color: palette(mid);"));
    layout->addWidget(m_info);
}

CgViewport::~CgViewport() = default;

QWindow* CgViewport::window3D() const
{
    return m_window;
}

void CgViewport::build3D()
{
    m_window = new Qt3DExtras::Qt3DWindow;
    m_window->defaultFrameGraph()->setClearColor(QColor(34, 36, 40));
    m_root = new Qt3DCore::QEntity;

    auto* camera = m_window->camera();
    camera->lens()->setPerspectiveProjection(35.0f, 4.0f / 3.0f, 0.01f, 1000.0f);
    m_controller = new Qt3DExtras::QOrbitCameraController(m_root);
    m_controller->setCamera(camera);

    // The surface: interleaved position + normal, one index list for all, one for defects.
    auto* surface = new Qt3DCore::QEntity(m_root);
    auto* geometry = new Qt3DCore::QGeometry(surface);
    m_vertices = new Qt3DCore::QBuffer(geometry);
    m_indices = new Qt3DCore::QBuffer(geometry);
    auto attribute = [](Qt3DCore::QGeometry* g, Qt3DCore::QBuffer* buffer, const QString& name,
                        uint offset) {
        auto* a = new QAttribute(g);
        a->setName(name);
        a->setAttributeType(QAttribute::VertexAttribute);
        a->setVertexBaseType(QAttribute::Float);
        a->setVertexSize(3);
        a->setBuffer(buffer);
        a->setByteStride(6 * sizeof(float));
        a->setByteOffset(offset);
        g->addAttribute(a);
        return a;
    };
    auto indexAttribute = [](Qt3DCore::QGeometry* g, Qt3DCore::QBuffer* buffer) {
        auto* a = new QAttribute(g);
        a->setAttributeType(QAttribute::IndexAttribute);
        a->setVertexBaseType(QAttribute::UnsignedInt);
        a->setBuffer(buffer);
        g->addAttribute(a);
        return a;
    };
    m_position = attribute(geometry, m_vertices, QAttribute::defaultPositionAttributeName(), 0);
    m_normal = attribute(geometry, m_vertices, QAttribute::defaultNormalAttributeName(),
                         3 * sizeof(float));
    m_index = indexAttribute(geometry, m_indices);
    auto* renderer = new Qt3DRender::QGeometryRenderer(surface);
    renderer->setGeometry(geometry);
    renderer->setPrimitiveType(Qt3DRender::QGeometryRenderer::Triangles);
    m_material = new Qt3DExtras::QDiffuseSpecularMaterial(surface);
    surface->addComponent(renderer);
    surface->addComponent(m_material);

    m_defectEntity = new Qt3DCore::QEntity(m_root);
    auto* defectGeometry = new Qt3DCore::QGeometry(m_defectEntity);
    m_defectIndices = new Qt3DCore::QBuffer(defectGeometry);
    m_defectPosition =
        attribute(defectGeometry, m_vertices, QAttribute::defaultPositionAttributeName(), 0);
    m_defectNormal = attribute(defectGeometry, m_vertices, QAttribute::defaultNormalAttributeName(),
                               3 * sizeof(float));
    m_defectIndex = indexAttribute(defectGeometry, m_defectIndices);
    auto* defectRenderer = new Qt3DRender::QGeometryRenderer(m_defectEntity);
    defectRenderer->setGeometry(defectGeometry);
    auto* red = new Qt3DExtras::QPhongMaterial(m_defectEntity);
    red->setAmbient(QColor(200, 20, 30));
    red->setDiffuse(QColor(255, 60, 50));
    red->setSpecular(QColor(40, 40, 40));
    m_defectTransform = new Qt3DCore::QTransform(m_defectEntity);
    m_defectEntity->addComponent(defectRenderer);
    m_defectEntity->addComponent(red);
    m_defectEntity->addComponent(m_defectTransform);
    m_defectEntity->setEnabled(false);

    m_window->setRootEntity(m_root);
}

void CgViewport::setScene(const CgViewScene& scene)
{
    m_scene = scene;
    const auto& mesh = m_scene.mesh;
    m_info->setText(tr("%1 vertices  ·  %2 triangles  ·  %3 mm wide  ·  height ×%4  ·  "
                       "%5%6")
                        .arg(mesh.vertexCount())
                        .arg(mesh.indices.size() / 3)
                        .arg(double(mesh.sizeMm), 0, 'f', 2)
                        .arg(double(m_scene.zScale), 0, 'f', 0)
                        .arg(tr("%n light(s)", nullptr, int(m_scene.lights.size())))
                        .arg(mesh.defectIndices.empty() ? QString()
                                                        : tr("  ·  %n defect triangle(s)", nullptr,
                                                             int(mesh.defectIndices.size() / 3))));
    if (!m_window) return;

    QByteArray vertices(int(mesh.vertexCount() * 6 * sizeof(float)), Qt::Uninitialized);
    auto* v = reinterpret_cast<float*>(vertices.data());
    for (std::size_t i = 0; i < mesh.vertexCount(); ++i) {
        std::memcpy(v + 6 * i, mesh.positions.data() + 3 * i, 3 * sizeof(float));
        std::memcpy(v + 6 * i + 3, mesh.normals.data() + 3 * i, 3 * sizeof(float));
    }
    m_vertices->setData(vertices);
    for (QAttribute* a : {m_position, m_normal, m_defectPosition, m_defectNormal})
        a->setCount(uint(mesh.vertexCount()));
    m_indices->setData(QByteArray(reinterpret_cast<const char*>(mesh.indices.data()),
                                  int(mesh.indices.size() * sizeof(std::uint32_t))));
    m_index->setCount(uint(mesh.indices.size()));
    m_defectIndices->setData(QByteArray(reinterpret_cast<const char*>(mesh.defectIndices.data()),
                                        int(mesh.defectIndices.size() * sizeof(std::uint32_t))));
    m_defectIndex->setCount(uint(mesh.defectIndices.size()));
    // Lifted a little above the surface so that it wins the depth test.
    m_defectTransform->setTranslation(QVector3D(0, 0, 0.004f * std::max(0.1f, mesh.sizeMm)));
    m_defectEntity->setEnabled(m_highlight && !mesh.defectIndices.empty());

    // A metal under Phong: highlights tinted by the base colour, the diffuse part only what
    // the metalness leaves, and an ambient term standing in for the reflected surroundings
    // (Qt3D's physically based metal renders black without an environment map to reflect).
    const QColor base = m_scene.baseColor;
    auto scaled = [&](double k) {
        return QColor::fromRgbF(float(std::min(1.0, base.redF() * k)),
                                float(std::min(1.0, base.greenF() * k)),
                                float(std::min(1.0, base.blueF() * k)));
    };
    const double metal = std::clamp(double(m_scene.metallic), 0.0, 1.0);
    m_material->setAmbient(scaled(0.15));
    m_material->setDiffuse(QVariant::fromValue(scaled(0.3 + 0.4 * (1 - metal))));
    // Qt3D's Phong highlight is strong: a small specular colour keeps the relief readable.
    m_material->setSpecular(QVariant::fromValue(scaled(0.07 + 0.05 * metal)));
    // A Phong exponent that grows as the roughness falls (about 8 / roughness^2).
    const double r = std::clamp(double(m_scene.roughness), 0.03, 1.0);
    m_material->setShininess(float(std::clamp(8.0 / (r * r), 40.0, 400.0)));
    updateLights();
    if (!m_viewPlaced) resetView();
}

void CgViewport::updateLights()
{
    delete m_lightRoot;
    m_lightRoot = new Qt3DCore::QEntity(m_root);
    const float size = std::max(0.1f, m_scene.mesh.sizeMm);
    for (const auto& l : m_scene.lights) {
        const float az = qDegreesToRadians(l.azimuthDeg), el = qDegreesToRadians(l.elevationDeg);
        // Towards the light; image y points down, the mesh's y up.
        const QVector3D d(std::cos(el) * std::cos(az), -std::cos(el) * std::sin(az), std::sin(el));
        const QColor colour = colorOfTemperature(l.temperatureK);

        auto* marker = new Qt3DCore::QEntity(m_lightRoot);
        auto* sphere = new Qt3DExtras::QSphereMesh(marker);
        sphere->setRadius(0.03f * size);
        auto* mat = new Qt3DExtras::QPhongMaterial(marker);
        mat->setAmbient(colour.darker(130));
        mat->setDiffuse(colour.darker(300));
        mat->setSpecular(QColor(30, 30, 30));
        auto* at = new Qt3DCore::QTransform(marker);
        at->setTranslation(d * 0.62f * size);
        auto* light = new Qt3DRender::QDirectionalLight(marker);
        light->setWorldDirection(-d);
        light->setColor(colour);
        // Shared out among the lights, so that four lights do not wash the view out to white.
        light->setIntensity(l.intensity * 1.3f / float(m_scene.lights.size()));
        marker->addComponent(sphere);
        marker->addComponent(mat);
        marker->addComponent(at);
        marker->addComponent(light);

        // A short rod from the marker towards the part: the direction the light shines.
        auto* rod = new Qt3DCore::QEntity(m_lightRoot);
        auto* cylinder = new Qt3DExtras::QCylinderMesh(rod);
        cylinder->setRadius(0.006f * size);
        cylinder->setLength(0.22f * size);
        auto* rt = new Qt3DCore::QTransform(rod);
        rt->setRotation(QQuaternion::rotationTo(QVector3D(0, 1, 0), d));
        rt->setTranslation(d * 0.48f * size);
        rod->addComponent(cylinder);
        rod->addComponent(mat);
        rod->addComponent(rt);
    }
}

void CgViewport::setDefectHighlighted(bool on)
{
    m_highlight = on;
    if (m_defectEntity) m_defectEntity->setEnabled(on && !m_scene.mesh.defectIndices.empty());
}

void CgViewport::resetView()
{
    if (!m_window) return;
    const float size = std::max(0.1f, m_scene.mesh.sizeMm);
    auto* camera = m_window->camera();
    camera->setUpVector(QVector3D(0, 0, 1));
    camera->setPosition(QVector3D(0, -1.6f * size, 1.9f * size));
    camera->setViewCenter(QVector3D(0, 0, 0));
    camera->lens()->setPerspectiveProjection(
        40.0f, float(std::max(1, width())) / float(std::max(1, height())), 0.01f * size,
        100.0f * size);
    // The scene is millimetres across: speeds in scene units per second follow its size.
    m_controller->setLinearSpeed(2.0f * size);
    m_controller->setZoomInLimit(0.05f * size);
    m_viewPlaced = true;
}

} // namespace kizu::ui
