s/^ *localparam [^=]* ([A-Z][A-Z0-9_]*) = [0-9]+'h([0-9A-Fa-f_]+);.*/constexpr uint64_t \1 = 0x\2ULL;/p
s/^ *localparam int unsigned ([A-Z][A-Z0-9_]*) = ([0-9]+);.*/constexpr uint64_t \1 = \2ULL;/p
