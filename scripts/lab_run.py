"""Run every optimizer × learning rate × start of the optimizer lab on one surface."""

from gdpipe import cli, io, lab
from gdpipe.devices import make_deterministic, resolve_device
from gdpipe.pipeline import read_step_params

OUTPUTS = ("runs", "hits", "paths", "history")


def step(args):
    params = read_step_params(args.params, "lab_run", "lab", args.surface)
    p = params.lab
    device = resolve_device(params.device)
    make_deterministic(threads=None)  # the job's threads: results do not depend on them
    starts = io.read_table(args.starts, **lab.TABLES["starts"], rows=(p.n_starts, "lab.n_starts"))
    surface = lab.lab_surface(args.surface, p)
    tables = lab.run_surface(
        surface, starts, p, device, lambda optimizer: cli.progress(f"{surface.name} {optimizer}")
    )
    for name in OUTPUTS:
        io.write_table(getattr(args, name), tables[name], na_rep="")
    runs = tables["runs"]
    reached, diverged = runs["steps_to_target"].notna().sum(), (runs["status"] == "diverged").sum()
    message = "%s: %d runs, %d reached f - f* <= %g, %d diverged"
    cli.log.info(message, surface.name, len(runs), reached, p.target, diverged)


if __name__ == "__main__":
    cli.main(step, cli.parser(__doc__, "surface", "starts", *OUTPUTS))
