// A small value-or-error type for paths that must not throw (network, file I/O).
#pragma once

#include <exception>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace chunkswarm {

// What a caller may act on: most errors end what failed; a gone peer is routed around; changed
// content means the owner's session starts again (the peer dropped what it held of the old
// content); bad input (a flag or setting the user gave) ends a program with exit code 2, not 1.
enum class ErrorCode { failed, peer_gone, content_changed, bad_input };

struct Error {
    std::string message;
    ErrorCode code = ErrorCode::failed;
};

inline Error make_error(std::string message, ErrorCode code = ErrorCode::failed)
{
    return Error{std::move(message), code};
}

template <class T>
class [[nodiscard]] Result {
public:
    Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
    Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }
    T& value() & { return std::get<0>(v_); }
    const T& value() const& { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    const Error& error() const { return std::get<1>(v_); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

private:
    std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT(google-explicit-constructor)

    bool ok() const { return ok_; }
    explicit operator bool() const { return ok_; }
    const Error& error() const { return error_; }

private:
    Error error_;
    bool ok_ = true;
};

// Builds a T in place and returns what its run() returns. Here only constructors that create event
// loops throw (the system is out of descriptors or memory); that becomes the error.
template <class T, class... Args>
Result<void> build_and_run(Args&&... args)
{
    std::optional<T> node;
    try {
        node.emplace(std::forward<Args>(args)...);
    } catch (const std::exception& e) {
        return make_error(e.what());
    }
    return node->run();
}

}  // namespace chunkswarm

// Early return of a failed Result from a function that itself returns a Result.
#define CS_TRY_ASSIGN(target, expr)                 \
    do {                                            \
        auto cs_result_ = (expr);                   \
        if (!cs_result_) return cs_result_.error(); \
        (target) = std::move(cs_result_).value();   \
    } while (0)

#define CS_TRY(expr)                                                          \
    do {                                                                      \
        if (auto cs_result_ = (expr); !cs_result_) return cs_result_.error(); \
    } while (0)
