/*
 * cli.c - the gilsim executable: main() hands argv to sim_main() (see
 * command.c), which parses the options, runs the models, writes the run
 * folder and returns the exit status. Everything else lives in the
 * gilsim_sim library, so the tests can drive the same code in-process.
 */
#include "sim.h"

int
main(int argc, char **argv)
{
    return sim_main(argc, argv, stdout, stderr);
}
