# states.gp - the timeline of a run with many threads: how many threads
# were running, waiting for the GIL, in I/O or idle over time, stacked.
#
# plots/charts.c runs it, instead of timeline.gp, for a model with more
# than PLOT_MAX_LANES threads:
#   gnuplot -e "datafile='...'; output='...'; term='pngcairo';
#               title='...'; threads=N; xmin=A; xmax=B[; cutfrom=C;
#               cutto=D]" states.gp
# datafile (plot_write_state_data, tab-separated): begin_ms, then the mean
# number of threads running, waiting, in I/O and idle during the bin.
# cutfrom..cutto (ms), when set, is the part of the run the trace lost.

if (!exists("term")) term = 'pngcairo'
if (!exists("title")) title = 'gilsim timeline'
if (!exists("threads")) threads = 1
W = 1600
H = 520

if (term eq 'svg') {
    set terminal svg size W, H noenhanced font 'Sans,11' \
        background rgb 'white'
} else {
    set terminal pngcairo size W, H noenhanced font 'Sans,10' \
        background rgb 'white'
}
set output output

set datafile separator "\t"
set label 1 title at screen 0.5, screen 1.0 - 14.0 / H center font ',12'
set border 3 lc rgb '#555555'
set lmargin at screen 90.0 / W
set rmargin at screen 1.0 - 30.0 / W
set tmargin at screen 1.0 - 64.0 / H
set bmargin at screen 50.0 / H

set xrange [xmin:xmax]
set yrange [0:threads]
set xlabel 'time since the run started (ms)' offset 0, 0.4
set ylabel 'threads' offset 1, 0
set xtics nomirror out scale 0.5
set ytics nomirror out scale 0.5
set grid xtics ytics lc rgb '#e8e8e8' lw 1
set key at screen 0.5, screen 1.0 - 38.0 / H center center horizontal \
    reverse Left samplen 1.2 width 1

c_running = 0x2ca02c
c_waiting = 0xe8590c
c_io = 0x1f77b4
c_idle = 0xd9d9d9

if (exists("cutfrom")) {
    set object 10 rect from cutfrom, graph 0 to cutto, graph 1 front \
        fillstyle pattern 4 transparent noborder fc rgb '#777777'
    set label 10 'not in the trace (cut)' at (cutfrom + cutto) / 2, \
        graph 0.5 center front tc rgb '#333333' font ',11'
}

set style fill solid 1.0 noborder
# Stacked from the bottom: running, waiting, I/O, idle; each curve is the
# sum of its state and those below it, drawn tallest first.
plot datafile using 1:($2 + $3 + $4 + $5) with filledcurves x1 \
         lc rgb c_idle title 'idle', \
     datafile using 1:($2 + $3 + $4) with filledcurves x1 \
         lc rgb c_io title 'I/O (GIL released)', \
     datafile using 1:($2 + $3) with filledcurves x1 \
         lc rgb c_waiting title 'waiting for the GIL', \
     datafile using 1:2 with filledcurves x1 \
         lc rgb c_running title 'running (holds the GIL)'
