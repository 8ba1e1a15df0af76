// The station profile (docs/camera.md): the camera settings a station inspects with, kept in
// the project's key/value settings so that `kizu-cli inspect` and the Inspect page start the
// camera the same way, and the page shows them again when it opens.
#pragma once

#include "core/camera/frame_source.h"
#include "core/project/project_store.h"

namespace kizu::inspect {

// The stored settings; fields never set stay unset (the camera keeps its own value).
camera::CameraSettings loadCameraProfile(const project::ProjectStore& store);
// Stores the settings (an unset field clears the stored one), in one transaction per key.
// Throws InvalidArgument for a trigger or edge word that cannot work.
void saveCameraProfile(project::ProjectStore& store, const camera::CameraSettings& settings);
// The settings given over those stored: a field set in `over` wins.
camera::CameraSettings overlay(camera::CameraSettings base, const camera::CameraSettings& over);

} // namespace kizu::inspect
