// The CG Studio's 3D view (Qt3D): the sample's height map as a decimated mesh under a
// metal-like material, one directional light per sampled light with a marker showing where it
// shines from, the defect triangles highlighted on demand. Right drag orbits, left drag pans,
// the wheel zooms. Without OpenGL (offscreen tests, remote sessions) it shows a notice instead
// and keeps the scene data, so everything else on the page still works.
#pragma once

#include "core/cg/cg_mesh.h"

#include <QColor>
#include <QWidget>

#include <vector>

class QLabel;
class QWindow;

namespace Qt3DCore {
class QEntity;
class QBuffer;
class QAttribute;
class QTransform;
} // namespace Qt3DCore
namespace Qt3DExtras {
class Qt3DWindow;
class QDiffuseSpecularMaterial;
class QOrbitCameraController;
} // namespace Qt3DExtras
namespace Qt3DRender {
class QGeometryRenderer;
}

namespace kizu::ui {

struct CgViewLight {
    float azimuthDeg = 0; // around the camera axis, image x towards image y (down)
    float elevationDeg = 45;
    float temperatureK = 5500;
    float intensity = 1;
};

struct CgViewScene {
    kizu::cg::HeightMesh mesh;
    std::vector<CgViewLight> lights;
    QColor baseColor = QColor(143, 145, 148);
    float metallic = 0.9f;
    float roughness = 0.3f;
    float zScale = 1; // the height exaggeration the mesh was built with
};

// Linear-ish RGB of a black body at kelvin, for the light markers (Tanner Helland's fit).
QColor colorOfTemperature(double kelvin);

class CgViewport : public QWidget {
    Q_OBJECT
public:
    explicit CgViewport(QWidget* parent = nullptr);
    ~CgViewport() override;

    // Whether this session can draw Qt3D: not on the offscreen/minimal platforms, not without
    // an OpenGL context, not with KIZU_NO_3D set.
    static bool canRender3D();
    bool available() const { return m_window != nullptr; }
    // The Qt3D window inside the container (null when unavailable): where a click puts focus.
    QWindow* window3D() const;

    void setScene(const CgViewScene& scene);
    const CgViewScene& scene() const { return m_scene; }
    bool defectHighlighted() const { return m_highlight; }

public Q_SLOTS:
    void setDefectHighlighted(bool on);
    void resetView();

private:
    void build3D();
    void updateLights();

    CgViewScene m_scene;
    bool m_highlight = false;
    bool m_viewPlaced = false;
    QLabel* m_notice = nullptr;
    QLabel* m_info = nullptr;
    Qt3DExtras::Qt3DWindow* m_window = nullptr;
    Qt3DCore::QEntity* m_root = nullptr;
    Qt3DCore::QEntity* m_lightRoot = nullptr;
    Qt3DCore::QBuffer* m_vertices = nullptr;
    Qt3DCore::QBuffer* m_indices = nullptr;
    Qt3DCore::QBuffer* m_defectIndices = nullptr;
    Qt3DCore::QAttribute* m_position = nullptr;
    Qt3DCore::QAttribute* m_normal = nullptr;
    Qt3DCore::QAttribute* m_index = nullptr;
    Qt3DCore::QAttribute* m_defectIndex = nullptr;
    Qt3DCore::QAttribute* m_defectPosition = nullptr;
    Qt3DCore::QAttribute* m_defectNormal = nullptr;
    Qt3DCore::QEntity* m_defectEntity = nullptr;
    Qt3DCore::QTransform* m_defectTransform = nullptr;
    Qt3DExtras::QDiffuseSpecularMaterial* m_material = nullptr;
    Qt3DExtras::QOrbitCameraController* m_controller = nullptr;
};

} // namespace kizu::ui
