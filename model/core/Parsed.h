#pragma once

#include <QString>

#include <optional>
#include <utility>

namespace hopscope {

// Why an input could not be parsed, in plain words: `where` says which part of the input (a line,
// a field, a JSON path; empty when the input as a whole is wrong), `what` says what is wrong with
// it. Never carries the input beyond a short excerpt, and never a secret.
struct ParseError
{
    QString where; // "line 4", "column 'scur' on line 7", "cluster_statuses[2].host_statuses"
    QString what; // "is not a number", "empty input: no show stat header"

    QString toString() const
    {
        return where.isEmpty() ? what : where + QStringLiteral(": ") + what;
    }
    // The same error inside a larger input: "show stat" + "line 4: ..." -> "show stat line 4: ...".
    ParseError within(const QString &outer) const
    {
        return { where.isEmpty() ? outer : outer + u' ' + where, what };
    }
};

// The result of every parser in the model: the parsed value, or a ParseError. Parsers never throw
// and never crash on hostile input; they return one of the two. Cheap to move; plain value, safe
// to hand from a worker thread to the GUI thread.
template <class T> class Parsed
{
public:
    // A result not produced yet (what a QFuture holds before the work ends).
    Parsed()
        : m_error { {}, QStringLiteral("not parsed") }
    { }
    // Implicit on purpose: a parser ends with `return value;` or `return ParseError {...};`.
    Parsed(const T &value) // NOLINT(google-explicit-constructor)
        : m_value(value)
    { }
    Parsed(T &&value) // NOLINT(google-explicit-constructor)
        : m_value(std::move(value))
    { }
    Parsed(ParseError error) // NOLINT(google-explicit-constructor): `return ParseError{...};`
        : m_error(std::move(error))
    { }
    static Parsed failure(QString what, QString where = {})
    {
        return Parsed(ParseError { std::move(where), std::move(what) });
    }

    bool ok() const { return m_value.has_value(); }
    explicit operator bool() const { return ok(); }

    // Only when ok().
    const T &value() const & { return *m_value; }
    T &value() & { return *m_value; }
    T &&value() && { return std::move(*m_value); }
    const T &operator*() const & { return *m_value; }
    T &operator*() & { return *m_value; }
    const T *operator->() const { return &*m_value; }
    T *operator->() { return &*m_value; }

    // Only when !ok().
    const ParseError &error() const { return m_error; }
    QString errorText() const { return m_error.toString(); } // empty when ok()

private:
    std::optional<T> m_value;
    ParseError m_error;
};

} // namespace hopscope
