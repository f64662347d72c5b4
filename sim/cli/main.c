/*
 * main.c - the gilsim executable: main() hands argv to sim_main() (see
 * command.c), which parses the options, runs what they ask for and
 * returns the exit status. Everything else lives in the libraries, so the
 * tests can drive the same code in-process.
 */
#include <stdio.h>

#include "cli.h"

int
main(int argc, char **argv)
{
    return sim_main(argc, argv, stdout, stderr);
}
