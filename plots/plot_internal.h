/*
 * plot_internal.h - private to plots/; everyone else includes plot.h.
 *
 * One gnuplot job (a template, its variables and data files) as charts.c
 * describes it and gnuplot.c runs it.
 */
#ifndef GILSIM_PLOT_INTERNAL_H
#define GILSIM_PLOT_INTERNAL_H

#include <stddef.h>
#include <stdio.h>

#define PATH_LEN  4352 /* a run folder path (4096) plus file names */
#define MAX_VARS  16   /* -e assignments per gnuplot run */
#define MAX_DATA  4    /* data files per picture */
#define ERR_KEEP  8192 /* bytes of gnuplot's stderr kept for the error */
#define ERR_QUOTE 240  /* at most this much of its line is quoted */

/* One variable of a template. */
struct gp_var {
    const char *name;
    const char *value;
    int quoted; /* 1: a string; 0: a number, passed as written */
};

/* One data file: how to fill it, and where it went. */
struct gp_data {
    const char *var; /* the template's variable naming the file */
    const char *tag; /* part of the temporary name */
    int (*fill)(const void *ctx, FILE *f);
    const void *ctx;
    char path[PATH_LEN];
};

/* One picture in both formats. */
struct gp_job {
    const char *template_name;
    const char *gp_dir;
    const char *out_base;
    struct gp_var vars[MAX_VARS];
    size_t nvars;
    struct gp_data data[MAX_DATA];
    size_t ndata;
};

/* Render job as out_base.png and out_base.svg; see gnuplot.c. 0, or
 * -errno with one line in err. */
int plot__render(struct gp_job *job, char *err, size_t errlen);

#endif /* GILSIM_PLOT_INTERNAL_H */
