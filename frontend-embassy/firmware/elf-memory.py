#!/usr/bin/env python3
"""Where the linker put the firmware: flash, RAM code, RAM data, the heap.

Usage: elf-memory.py FIRMWARE.elf CHIP   (a 32-bit little-endian ELF)

The heap is the esp-alloc regions (the `HEAP` arrays in .bss and
.dram2_uninit); the stack is what the linker left of RAM.
"""
import re
import struct
import sys

ALLOC = 0x2


def main(path, chip):
    elf = open(path, "rb").read()
    if elf[:4] != b"\x7fELF" or elf[4] != 1 or elf[5] != 1:
        sys.exit(f"{path}: not a 32-bit little-endian ELF")
    shoff, = struct.unpack_from("<I", elf, 0x20)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", elf, 0x2E)
    secs = [struct.unpack_from("<IIIIIIIIII", elf, shoff + i * shentsize) for i in range(shnum)]

    def cstr(table_off, off):
        end = elf.index(b"\0", table_off + off)
        return elf[table_off + off:end].decode(errors="replace")

    names = [cstr(secs[shstrndx][4], s[0]) for s in secs]
    flash = ram_code = ram_data = stack = 0
    for name, s in zip(names, secs):
        flags, size = s[2], s[5]
        # Address-space placeholders and gaps take no memory of their own.
        if not flags & ALLOC or size == 0 or name.endswith("_dummy") or name == ".text_gap":
            continue
        if name == ".stack":
            stack += size
        elif name.startswith((".text", ".rodata", ".flash")):
            flash += size
        elif name.startswith((".trap", ".rwtext")):
            ram_code += size
        else:
            ram_data += size

    heap = 0
    symtab = names.index(".symtab")
    strtab = secs[symtab][6]
    start, size = secs[symtab][4], secs[symtab][5]
    for off in range(start, start + size, 16):
        st_name, _value, st_size, _info, _other, st_shndx = struct.unpack_from("<IIIBBH", elf, off)
        if st_size and st_shndx < shnum and names[st_shndx] in (".bss", ".dram2_uninit"):
            name = cstr(secs[strtab][4], st_name)
            # `…::HEAP` arrays of esp_alloc::heap_allocator! (mangled: …4HEAP17h<hash>E);
            # the allocator's own small state is not heap.
            if (name.endswith("HEAP") or re.search(r"4HEAP17h[0-9a-f]{16}E$", name)) and st_size >= 1024:
                heap += st_size

    def kib(b):
        return f"{b} B ({b / 1024:.1f} KiB)"

    print(f"{chip} flash (code + read-only data): {kib(flash)}")
    print(f"{chip} RAM: code {kib(ram_code)}, data + bss {kib(ram_data)} of which heap {kib(heap)}, stack {kib(stack)}")
    print(f"{chip} static RAM without heap and stack (RAM code + data + bss - heap): {kib(ram_code + ram_data - heap)}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
