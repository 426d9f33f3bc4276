# Loaded by gtkw-check.sh inside GTKWave: prints what the save file put on
# screen, then quits.
set sigs [gtkwave::getDisplayedSignals]
puts "DISPLAYED [llength $sigs]"
foreach s $sigs { puts "SIG $s" }
puts "MARKER [gtkwave::getMarker]"
puts "WINDOWSTART [gtkwave::getWindowStartTime]"
gtkwave::/File/Quit
