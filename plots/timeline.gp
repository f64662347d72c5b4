# timeline.gp - one lane per thread, coloured by state, for one gilsim run.
#
# plots/plot.c runs it as
#   gnuplot -e "datafile='...'; stepsfile='...'; markersfile='...';
#               lanesfile='...'; output='...'; term='pngcairo'; title='...';
#               lanes=N; xmin=A; xmax=B; stepkinds=' cpu fetch ';
#               namechars=K; [cutfrom=C; cutto=D]" timeline.gp
# and it can be run the same way by hand. Inputs (tab-separated):
#   datafile     lane, begin_ms, end_ms, state, thread_name
#                (plot_write_timeline_data: merged, no sub-pixel slivers)
#   stepsfile    lane, begin_ms, end_ms, step kind, thread_name: the strip
#                along each lane's lower edge (plot_write_step_data)
#   markersfile  lane, t_ms, kind (drop_request or forced_switch)
#   lanesfile    lane, thread_name (every thread, even one with nothing
#                to draw in the window)
# stepkinds lists the step kinds the trace has: their legend entries, and
# those of the native and lock states, which only their steps give.
# cutfrom..cutto (ms), when set, is the part of the run the trace lost.
# term is pngcairo or svg; the picture is 1600 x (140 + 28 per lane)
# pixels either way. xmin and xmax are the window in ms. Lane 0 is at the
# top. Text is not "enhanced", so thread names and titles print as given.

if (!exists("term")) term = 'pngcairo'
if (!exists("lanes")) lanes = 1
if (!exists("title")) title = 'gilsim timeline'
W = 1600
H = 140 + 28 * lanes
if (!exists("stepkinds")) stepkinds = ' '
if (!exists("stepsfile")) stepsfile = '/dev/null'

if (term eq 'svg') {
    set terminal svg size W, H noenhanced font 'Sans,11' \
        background rgb 'white'
} else {
    set terminal pngcairo size W, H noenhanced font 'Sans,10' \
        background rgb 'white'
}
set output output

set datafile separator "\t"
# The title and the legend sit in the top 84 px: the title, then the
# legend's line or two.
set label 1 title at screen 0.5, screen 1.0 - 14.0 / H center font ',12'
set border 3 lc rgb '#555555'

# Fixed margins in pixels, so every lane gets its 28 px; the left one
# wide enough for the longest lane name (namechars, ~7.5 px a character).
if (!exists("namechars")) namechars = 0
L = 16.0 + 7.5 * namechars
if (L < 130.0) L = 130.0
if (L > 400.0) L = 400.0
set lmargin at screen L / W
set rmargin at screen 1.0 - 30.0 / W
set tmargin at screen 1.0 - 84.0 / H
set bmargin at screen 44.0 / H

set xrange [xmin:xmax]
set yrange [lanes - 0.5:-0.5]
set xlabel 'time since the run started (ms)' offset 0, 0.4
set xtics nomirror out scale 0.5
set mxtics
set ytics nomirror scale 0
set grid xtics mxtics lc rgb '#e8e8e8' lw 1, lc rgb '#f4f4f4' lw 1
set key at screen 0.5, screen 1.0 - 48.0 / H center center horizontal \
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

# The step strip: the lane's lower edge, in the kind of step the thread
# was in (a strip lane + strip_top .. lane + half).
s_cpu = 0x555555
s_fetch = 0x17becf
s_sleep = 0xbcbd22
s_write = 0xe377c2
s_native = 0x9467bd
s_lock = 0x8c564b
s_read = 0xf7b6d2
s_net = 0x393b79
s_wait = 0xad494a
s_other = 0x999999
scolor(s) = s eq 'cpu' ? s_cpu : s eq 'fetch' ? s_fetch : \
    s eq 'sleep' ? s_sleep : s eq 'write' ? s_write : \
    s eq 'native' ? s_native : s eq 'lock' ? s_lock : \
    s eq 'read' ? s_read : s eq 'net' ? s_net : s eq 'wait' ? s_wait : s_other
strip_top = 0.17
has(k) = strstrt(stepkinds, ' '.k.' ') > 0

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
     stepsfile using (($2 + $3) / 2):1:2:3:($1 + strip_top):($1 + half): \
         (scolor(strcol(4))) with boxxyerror lc rgb variable, \
     lanesfile using (NaN):1:ytic(2) with points notitle, \
     markersfile using 2:(strcol(3) eq 'drop_request' ? $1 - half - 0.085 : NaN) \
         with points pt 11 ps 0.7 lc rgb '#7a0177' notitle, \
     markersfile using 2:(strcol(3) eq 'forced_switch' ? $1 + half + 0.085 : NaN) \
         with points pt 9 ps 0.7 lc rgb '#222222' notitle, \
     NaN with boxes lc rgb c_running title 'running (holds the GIL)', \
     NaN with boxes lc rgb c_waiting title 'waiting for the GIL', \
     NaN with boxes lc rgb c_io title 'I/O (GIL released)', \
     NaN with boxes lc rgb c_native title (has('native') ? 'native (runs, GIL released)' : ''), \
     NaN with boxes lc rgb c_lock title (has('lock') ? 'blocked on a lock' : ''), \
     NaN with boxes lc rgb c_idle title 'idle', \
     NaN with boxes lc rgb s_cpu title (has('cpu') ? 'cpu step' : ''), \
     NaN with boxes lc rgb s_fetch title (has('fetch') ? 'fetch step' : ''), \
     NaN with boxes lc rgb s_sleep title (has('sleep') ? 'sleep step' : ''), \
     NaN with boxes lc rgb s_write title (has('write') ? 'write step' : ''), \
     NaN with boxes lc rgb s_native title (has('native') ? 'native step' : ''), \
     NaN with boxes lc rgb s_lock title (has('lock') ? 'lock step' : ''), \
     NaN with boxes lc rgb s_read title (has('read') ? 'read step' : ''), \
     NaN with boxes lc rgb s_net title (has('net') ? 'socket call' : ''), \
     NaN with boxes lc rgb s_wait title (has('wait') ? 'wait (another thread, select, a child)' : ''), \
     NaN with points pt 11 ps 0.8 lc rgb '#7a0177' title 'drop request', \
     NaN with points pt 9 ps 0.8 lc rgb '#222222' title 'forced switch'
