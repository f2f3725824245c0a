#pragma once

// Internal helpers shared by the Envoy JSON parsers (not part of the model's API).
// simdjson needs SIMDJSON_PADDING readable bytes after the document and caps nesting depth;
// these helpers take care of the first and turn every simdjson error into one line of text.

#include <QByteArray>
#include <QString>

#include <simdjson.h>

#include <optional>
#include <string_view>

namespace hopscope::envoyjson {

// Parses `input` into `root` with a DOM parser owned by the calling thread (its buffers are
// reused between polls). Copies the input only when it lacks simdjson's padding.
// Returns an empty string on success, else a one-line reason.
QString parse(const QByteArray &input, simdjson::dom::element &root);

QString fromUtf8(std::string_view s);

// A uint64 rendered as a JSON number or a string (older Envoy): nullopt + reason on anything else.
std::optional<quint64> toU64(simdjson::dom::element value, QString *error);
// A number (integer or double) or a numeric string.
std::optional<double> toDouble(simdjson::dom::element value);

// Does `key` equal the snake_case proto field name or its camelCase JSON rendering?
inline bool keyIs(std::string_view key, std::string_view snake, std::string_view camel = {})
{
    return key == snake || (!camel.empty() && key == camel);
}

} // namespace hopscope::envoyjson
