# timeline.gp - one lane per thread, coloured by state, for one gilsim run.
#
# plots/plot.c runs it as
#   gnuplot -e "datafile='...'; markersfile='...'; lanesfile='...';
#               output='...'; term='pngcairo'; title='...'; lanes=N;
#               xmin=A; xmax=B[; cutfrom=C; cutto=D]" timeline.gp
# and it can be run the same way by hand. Inputs (tab-separated):
#   datafile     lane, begin_ms, end_ms, state, thread_name
#                (plot_write_timeline_data: merged, no sub-pixel slivers)
#   markersfile  lane, t_ms, kind (drop_request or forced_switch)
#   lanesfile    lane, thread_name (every thread, even one with nothing
#                to draw in the window)
# cutfrom..cutto (ms), when set, is the part of the run the trace lost.
# term is pngcairo or svg; the picture is 1600 x (120 + 28 per lane)
# pixels either way. xmin and xmax are the window in ms. Lane 0 is at the
# top. Text is not "enhanced", so thread names and titles print as given.

if (!exists("term")) term = 'pngcairo'
if (!exists("lanes")) lanes = 1
if (!exists("title")) title = 'gilsim timeline'
W = 1600
H = 120 + 28 * lanes

if (term eq 'svg') {
    set terminal svg size W, H noenhanced font 'Sans,11' \
        background rgb 'white'
} else {
    set terminal pngcairo size W, H noenhanced font 'Sans,10' \
        background rgb 'white'
}
set output output

set datafile separator "\t"
# The title and the legend sit in the top 64 px, one line each.
set label 1 title at screen 0.5, screen 1.0 - 14.0 / H center font ',12'
set border 3 lc rgb '#555555'

# Fixed margins in pixels, so every lane gets its 28 px.
set lmargin at screen 130.0 / W
set rmargin at screen 1.0 - 30.0 / W
set tmargin at screen 1.0 - 64.0 / H
set bmargin at screen 44.0 / H

set xrange [xmin:xmax]
set yrange [lanes - 0.5:-0.5]
set xlabel 'time since the run started (ms)' offset 0, 0.4
set xtics nomirror out scale 0.5
set mxtics
set ytics nomirror scale 0
set grid xtics mxtics lc rgb '#e8e8e8' lw 1, lc rgb '#f4f4f4' lw 1
set key at screen 0.5, screen 1.0 - 38.0 / H center center horizontal \
    reverse Left samplen 1.2 width 1 noautotitle

# The six states, in the colours of the legend.
c_running = 0x2ca02c
c_waiting = 0xe8590c
c_io = 0x1f77b4
c_native = 0x98df8a
c_lock = 0x8c564b
c_idle = 0xd9d9d9
color(s) = s eq 'running' ? c_running : s eq 'waiting' ? c_waiting : \
    s eq 'io' ? c_io : s eq 'native' ? c_native : s eq 'lock' ? c_lock : c_idle
half = 0.30

set style fill solid 1.0 noborder

# A trace cut by --trace-events: the part of the run the trace does not
# cover (cutfrom..cutto, in ms), hatched, so nobody reads it as idle.
if (exists("cutfrom")) {
    set object 10 rect from cutfrom, graph 0 to cutto, graph 1 front \
        fillstyle pattern 4 transparent noborder fc rgb '#777777'
    set label 10 'not in the trace (cut)' at (cutfrom + cutto) / 2, \
        graph 0.5 center front tc rgb '#333333' font ',11'
}

plot datafile using (($2 + $3) / 2):1:2:3:($1 - half):($1 + half): \
         (color(strcol(4))) with boxxyerror lc rgb variable, \
     lanesfile using (NaN):1:ytic(2) with points notitle, \
     markersfile using 2:(strcol(3) eq 'drop_request' ? $1 - half - 0.085 : NaN) \
         with points pt 11 ps 0.7 lc rgb '#7a0177' notitle, \
     markersfile using 2:(strcol(3) eq 'forced_switch' ? $1 + half + 0.085 : NaN) \
         with points pt 9 ps 0.7 lc rgb '#222222' notitle, \
     NaN with boxes lc rgb c_running title 'running (holds the GIL)', \
     NaN with boxes lc rgb c_waiting title 'waiting for the GIL', \
     NaN with boxes lc rgb c_io title 'I/O (GIL released)', \
     NaN with boxes lc rgb c_native title 'native (runs, GIL released)', \
     NaN with boxes lc rgb c_lock title (exists("haslock") ? 'blocked on a lock' : ''), \
     NaN with boxes lc rgb c_idle title 'idle', \
     NaN with points pt 11 ps 0.8 lc rgb '#7a0177' title 'drop request', \
     NaN with points pt 9 ps 0.8 lc rgb '#222222' title 'forced switch'
