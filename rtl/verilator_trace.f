// FST waveform support, read with `verilator -f`: always on in the
// co-simulation's models, in the C++ harness with TRACE=1 (so its speed
// compares like for like).
--trace-fst
--trace-structs
