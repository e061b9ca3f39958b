// Whose turn it is under a shared upload cap.
#include <doctest/doctest.h>

#include <map>
#include <vector>

#include "chunkswarm/core/cap_turns.hpp"

using namespace chunkswarm;

namespace {

using Key = const int*;
const int a = 0, b = 0, c = 0;

// Every key wants a turn all the time: takes `rounds` turns of 100 kB each, and counts them.
std::map<Key, int> run(CapTurns<Key>& turns, const std::map<Key, double>& weights, int rounds)
{
    std::map<Key, int> count;
    for (int i = 0; i < rounds; ++i) {
        const Key key = turns.front();
        turns.pop_front();
        turns.served(key, 100'000, weights.at(key));
        ++count[key];
        turns.enqueue(key, TurnClass::regular);
    }
    return count;
}

}  // namespace

TEST_CASE("with equal weights the turns go round in the order asked")
{
    CapTurns<Key> turns;
    turns.enqueue(&a, TurnClass::regular);
    turns.enqueue(&b, TurnClass::regular);
    turns.enqueue(&c, TurnClass::regular);
    turns.enqueue(&a, TurnClass::regular);  // already waiting: keeps its place
    std::vector<Key> order;
    for (int i = 0; i < 6; ++i) {
        order.push_back(turns.front());
        turns.pop_front();
        turns.served(order.back(), 100'000, 1.0);
        turns.enqueue(order.back(), TurnClass::regular);
    }
    CHECK(order == std::vector<Key>{&a, &b, &c, &a, &b, &c});
}

TEST_CASE("a session of weight w gets w turns to another's one while both want the cap")
{
    CapTurns<Key> turns;
    turns.enqueue(&a, TurnClass::regular);
    turns.enqueue(&b, TurnClass::regular);
    auto count = run(turns, {{&a, 4.0}, {&b, 1.0}}, 100);
    CHECK(count[&a] == doctest::Approx(80).epsilon(0.05));
    CHECK(count[&b] == doctest::Approx(20).epsilon(0.15));
}

TEST_CASE("a session that was idle gets no credit for it; a helper waits behind every other session")
{
    CapTurns<Key> turns;
    turns.enqueue(&a, TurnClass::regular);
    run(turns, {{&a, 1.0}}, 50);            // a alone for a while
    turns.enqueue(&b, TurnClass::regular);  // b comes: they alternate from now on, b does not get 50 turns in a row
    auto count = run(turns, {{&a, 1.0}, {&b, 1.0}}, 10);
    CHECK(count[&a] == 5);
    CHECK(count[&b] == 5);

    CapTurns<Key> with_helper;
    with_helper.enqueue(&c, TurnClass::helper);
    with_helper.enqueue(&a, TurnClass::regular);
    CHECK(with_helper.front() == &a);
    with_helper.pop_front();
    with_helper.enqueue(&b, TurnClass::regular);
    CHECK(with_helper.front() == &b);
    with_helper.forget(&b);
    CHECK(with_helper.front() == &c);
    CHECK(with_helper.queued(&c));
    with_helper.clear();
    CHECK(with_helper.empty());
}
