// libFuzzer target: ProfileStore::parse (what File → Open and `hopscope-cli profile check` run on a
// profile file) must refuse any input with problems that say where and what, never crash; a
// profile it accepts must survive a round trip (toJson, then parse again) without problems, so
// what the window saves it can open again.
#include "profile/ProfileStore.h"

#include <QJsonDocument>

#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray bytes
        = QByteArray::fromRawData(reinterpret_cast<const char *>(data), qsizetype(size));
    const hopscope::ProfileLoadResult result = hopscope::ProfileStore::parse(bytes);
    if (!result.ok()) {
        if (result.problems.isEmpty()) {
            std::abort(); // refused without saying why
        }
        for (const hopscope::ProfileProblem &p : result.problems) {
            if (p.message.isEmpty()) {
                std::abort(); // a problem must say what is wrong
            }
        }
        return 0;
    }
    const QByteArray saved = QJsonDocument(result.profile->toJson()).toJson(QJsonDocument::Compact);
    const hopscope::ProfileLoadResult again = hopscope::ProfileStore::parse(saved);
    if (!again.ok()) {
        std::abort(); // a profile we accepted and saved must open again
    }
    return 0;
}
