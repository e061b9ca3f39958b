#include "chunkswarm/core/data_dir_names.hpp"

namespace chunkswarm {

bool is_reserved_name(std::string_view name)
{
    for (std::string_view reserved : {kManifestFileName, kSummaryFileName, kChunkDirName, kLockFileName}) {
        if (name == reserved || (name.size() > reserved.size() && name.substr(0, reserved.size()) == reserved &&
                                 name[reserved.size()] == '.')) {
            return true;
        }
    }
    return false;
}

}  // namespace chunkswarm
