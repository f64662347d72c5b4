# sweep.gp - the cells of a gilsim sweep: wall time against the pool size,
# and a heat map of pool size x switch interval.
#
# plots/gnuplot.c runs it twice per format as
#   gnuplot -e "datafile='...'; output='...'; term='pngcairo'; title='...';
#               kind='threads'|'heatmap'; pools='1 2 4'; sis='0.5 5';
#               models='threads loop'" sweep.gp
# datafile (written by plot_write_sweep_data): one block per (model, switch
# interval), separated by two blank lines, each a header line whose first
# field is the series name, then one line per cell by pool:
#   series, pool, si_ms, wall_s, wall_min_s, wall_max_s, xi, yi, mi
# pools and sis are the distinct pool sizes and switch intervals (ms),
# ascending; xi and yi index them. models are the distinct models; mi
# indexes them.
# kind 'threads': median wall time against the pool size (log x), one line
# per model and switch interval, min-max error bars.
# kind 'heatmap': one panel per model, pool size across, switch interval
# up, each cell coloured and labelled with its median wall time, on one
# colour scale shared by every panel.
# Every series of 'threads' has its own colour.
# 1600 x 700 pixels, PNG (pngcairo) or SVG.

if (!exists("term")) term = 'pngcairo'
if (!exists("title")) title = 'gilsim sweep'
if (!exists("kind")) kind = 'threads'
if (!exists("pools")) pools = '1'
if (!exists("sis")) sis = '5'
if (!exists("models")) models = 'threads'
W = 1600
H = 700

if (term eq 'svg') {
    set terminal svg size W, H noenhanced font 'Sans,11' \
        background rgb 'white'
} else {
    set terminal pngcairo size W, H noenhanced font 'Sans,11' \
        background rgb 'white'
}
set output output
set datafile separator "\t"
set border 3 lc rgb '#555555'

if (kind eq 'threads') {
    set title title . "\nmedian wall time; bars: min to max of the repetitions" \
        font ',12'
    set logscale x 2
    set xtics () nomirror out scale 0.5
    do for [i = 1:words(pools)] {
        set xtics add (word(pools, i) word(pools, i) + 0)
    }
    pmin = word(pools, 1) + 0
    pmax = word(pools, words(pools)) + 0
    set xrange [pmin / 1.25 : pmax * 1.25]
    set ytics nomirror out scale 0.5
    set grid xtics ytics lc rgb '#e8e8e8'
    set xlabel 'threads (processes for the processes model)'
    set ylabel 'wall time (s)'
    set yrange [0:*]
    set key outside right top vertical Left reverse samplen 2
    # Every series its own colour: ten well-told-apart ones (matplotlib's
    # tab10) while they last, else hues spread evenly round the wheel.
    stats datafile using 2 nooutput
    nb = STATS_blocks
    tab10 = '#1f77b4 #ff7f0e #2ca02c #d62728 #9467bd #8c564b #e377c2 ' . \
            '#7f7f7f #bcbd22 #17becf'
    series_color(b) = nb <= 10 ? word(tab10, b + 1) : \
        sprintf('#%06x', hsv2rgb(b / (nb + 0.0), 0.8, 0.8))
    plot for [b = 0:nb - 1] datafile index b using 2:4:5:6 \
        with yerrorlines lw 2 pt (7 + b % 3) ps 0.8 \
        lc rgb series_color(b) title columnheader(1)
} else {
    # An index with no point in a panel would end an open `for [b = 0:*]`,
    # so count the blocks first.
    stats datafile using 2 nooutput
    nb = STATS_blocks
    nm = words(models)
    nx = words(pools)
    ny = words(sis)
    set palette defined (0 '#1a9850', 0.5 '#fee08b', 1 '#d73027')
    # One colour scale for every panel, so one colour is one time.
    stats datafile using 4 nooutput
    if (STATS_max > STATS_min) {
        set cbrange [STATS_min : STATS_max]
    } else {
        set cbrange [STATS_min * 0.9 : STATS_min * 1.1 + 1e-9]
    }
    set cblabel 'median wall time (s)'
    set xrange [-0.5 : nx - 0.5]
    set yrange [-0.5 : ny - 0.5]
    set xtics () nomirror scale 0
    do for [i = 1:nx] {
        set xtics add (word(pools, i) i - 1)
    }
    set ytics () nomirror scale 0
    do for [i = 1:ny] {
        set ytics add (word(sis, i) . ' ms' i - 1)
    }
    set xlabel 'threads (processes for the processes model)'
    set ylabel 'switch interval'
    set key off
    set style fill solid 1.0 noborder
    set multiplot layout 1, nm title title . "\nmedian wall time per cell" \
        font ',12'
    do for [m = 0:nm - 1] {
        set title word(models, m + 1) font ',11'
        # One scale: its bar once, beside the last panel; the y label
        # once, beside the first.
        if (m == nm - 1) { set colorbox } else { unset colorbox }
        if (m > 0) { unset ylabel }
        plot for [b = 0:nb - 1] datafile index b \
                 using ($9 == m ? $7 : NaN):8:(0.5):(0.5):4 \
                 with boxxyerror lc palette notitle, \
             for [b = 0:nb - 1] datafile index b \
                 using ($9 == m ? $7 : NaN):8:(sprintf('%.3g s', $4)) \
                 with labels font ',10' notitle
    }
    unset multiplot
}
