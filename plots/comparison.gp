# comparison.gp - the models of one gilsim run side by side.
#
# plots/plot.c runs it as
#   gnuplot -e "datafile='...'; output='...'; term='pngcairo'; title='...';
#               models=N; whiskers=0|1" comparison.gp
# datafile (tab-separated, a header line, one line per model; written by
# plot_write_comparison_data):
#   model, wall_s, wall_min_s, wall_max_s, repeat,
#   running_pct, waiting_pct, io_pct, idle_pct
# Left: wall time per model, with min-max whiskers when whiskers is 1 (a
# model was repeated). Right: how the threads' time splits into the four
# states of the timelines, as a stacked bar per model (percent of the
# threads' summed time). 1600 x 600 pixels, PNG (pngcairo) or SVG.

if (!exists("term")) term = 'pngcairo'
if (!exists("title")) title = 'gilsim: models compared'
if (!exists("whiskers")) whiskers = 0
if (!exists("models")) models = 1
W = 1600
H = 600

if (term eq 'svg') {
    set terminal svg size W, H noenhanced font 'Sans,11' \
        background rgb 'white'
} else {
    set terminal pngcairo size W, H noenhanced font 'Sans,11' \
        background rgb 'white'
}
set output output

set datafile separator "\t"
c_running = 0x2ca02c
c_waiting = 0xe8590c
c_io = 0x1f77b4
c_idle = 0xd9d9d9
c_wall = 0x4c566a

set multiplot title title font ',13'

# ---- wall time per model ----
set origin 0.0, 0.0
set size 0.48, 0.94
set title (whiskers ? 'wall time (median; whiskers: min to max)' : 'wall time') \
    font ',11'
set border 3 lc rgb '#555555'
set xtics nomirror scale 0
set ytics nomirror out scale 0.5
set grid ytics lc rgb '#e8e8e8'
set ylabel 'seconds'
set xrange [-0.6:models - 0.4]
set yrange [0:*]
set boxwidth 0.6
set style fill solid 1.0 noborder
set key off
if (whiskers) {
    plot datafile skip 1 using 0:2:xtic(1) with boxes lc rgb c_wall, \
         datafile skip 1 using 0:3:(0):($4 - $3) with vectors \
             heads size screen 0.006, 90 lw 1.5 lc rgb '#111111', \
         datafile skip 1 using 0:4:(sprintf('%.3g s', $2)) with labels \
             offset 0, 0.8 font ',10'
} else {
    plot datafile skip 1 using 0:2:xtic(1) with boxes lc rgb c_wall, \
         datafile skip 1 using 0:2:(sprintf('%.3g s', $2)) with labels \
             offset 0, 0.8 font ',10'
}

# ---- share of the threads' time in each state ----
set origin 0.5, 0.0
set size 0.5, 0.94
set title "share of the threads' time" font ',11'
set ylabel '% of thread time'
set yrange [0:100]
set xrange [-0.6:models - 0.4]
set key outside right center vertical reverse Left samplen 1.2
set style data histograms
set style histogram rowstacked
set boxwidth 0.6
plot datafile skip 1 using 6:xtic(1) lc rgb c_running \
         title 'running (holds the GIL)', \
     '' skip 1 using 7 lc rgb c_waiting title 'waiting for the GIL', \
     '' skip 1 using 8 lc rgb c_io title 'I/O (GIL released)', \
     '' skip 1 using 9 lc rgb c_idle title 'idle'

unset multiplot
