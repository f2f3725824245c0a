#pragma once

#include "profile/ClusterProfile.h"

#include <QString>

namespace hopscope {

// Writes a discovered profile: only when it reads back valid with the format's own validation
// (ProfileStore::parse), atomically (ProfileStore::save: QSaveFile), and never over an existing
// file (or a dangling symbolic link) unless `replace`. False with one line saying why.
// Used by `profile discover` and the window's DiscoverDialog.
bool saveDiscoveredProfile(
    const ClusterProfile &profile, const QString &path, bool replace, QString *error);

} // namespace hopscope
