// A check of torch.save zip archives (Kizu model files, torchvision .pth) before LibTorch
// reads them. LibTorch's zip reader and unpickler trust the sizes written in a file: a 1 kB
// hostile file can claim a 3 GB string or a memo index of four billion and make it allocate
// that much. This walks the zip directory and the pickle's opcodes without building anything
// and refuses what a real torch.save file never holds. Internal to core/learn; plain C++17.
#pragma once

#include <string>
#include <string_view>

namespace kizu::learn::detail {

// Throws FormatError naming `name` when the bytes are not a sound torch.save zip archive:
// a damaged or inconsistent zip directory, a compressed entry (torch.save stores), an entry
// larger than the file, no data.pkl, or a pickle with an unknown opcode, an operand that runs
// past its end or a memo index out of sequence.
void checkTorchArchive(std::string_view bytes, const std::string& name);

// The opcode walk alone, for one pickle (data.pkl).
void checkPickle(std::string_view pickle, const std::string& name);

} // namespace kizu::learn::detail
