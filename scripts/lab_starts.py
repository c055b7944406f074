"""Draw the optimizer lab's start points for one surface, uniform in its domain."""

from gdpipe import cli, io, lab
from gdpipe.objectives import get_surface
from gdpipe.pipeline import read_step_params


def step(args):
    p = read_step_params(args.params, "lab_starts", "lab", args.surface).lab
    starts = lab.generate_starts(get_surface(args.surface), p.seed, p.n_starts)
    io.write_table(args.out, starts)
    cli.log.info("wrote %d starts for %s to %s", len(starts), args.surface, args.out)


if __name__ == "__main__":
    cli.main(step, cli.parser(__doc__, "surface", "out"))
