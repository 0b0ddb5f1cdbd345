// Umbrella header included by every translated EA.
#pragma once

#include <cstdlib>

#include "host.hpp"
