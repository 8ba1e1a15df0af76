// The one word for what live inspection made of a frame, from core to the screen and into the
// project's results log. The values are stored (inspection_results.verdict): never renumber.
#pragma once

namespace kizu::inspect {

enum class State {
    Ok = 0,
    Ng = 1,
    Fault = 2,   // no verdict: the camera failed, or the method could not judge the frame
    Dropped = 3, // no verdict: the frame was dropped because inference fell behind
};

// "OK", "NG", "FAULT", "DROPPED"
inline const char* stateName(State s)
{
    switch (s) {
    case State::Ok:
        return "OK";
    case State::Ng:
        return "NG";
    case State::Fault:
        return "FAULT";
    case State::Dropped:
        return "DROPPED";
    }
    return "FAULT";
}

} // namespace kizu::inspect
