"""``orderhub simulator``: the four platforms' order APIs on a local port."""

from __future__ import annotations

import json

import click

from ._output import note


@click.command("simulator")
@click.option("--port", default=8765, show_default=True, help="Port on 127.0.0.1 (0: any).")
@click.option("--seed", default=1, show_default=True, help="Same seed, same orders.")
@click.option("--rate", default=30.0, show_default=True, metavar="ORDERS_PER_MIN",
              help="New orders per minute across the platforms (and half as many changes).")
@click.option("--orders", default=200, show_default=True,
              help="Orders per platform already there at start.")
@click.option("--history-hours", default=6.0, show_default=True,
              help="Those orders were placed over the last this-many hours.")
def simulator_command(port: int, seed: int, rate: float, orders: int,
                      history_hours: float) -> None:
    """Serve simulated Taobao/Tmall, JD, Pinduoduo and Douyin order APIs until Ctrl-C.

    Signatures, time windows and paging are checked like the real gateways; orders keep
    arriving and changing. Faults on demand:
    curl -XPOST localhost:PORT/_sim/faults -d '{"rate_limit": 5}' (also server_error, slow,
    every_nth, churn, expire_token); state: GET /_sim/state; request log: GET /_sim/log.

    Prints the `shops:` config and environment variables that point a workspace here.

    \b
    Examples:
      orderhub simulator
      orderhub simulator --port 0 --rate 60 --seed 7
    """
    from ..simulator import Simulator

    sim = Simulator(port=port, seed=seed, orders=orders, history_hours=history_hours,
                    rate=rate)
    env: dict[str, str] = {}
    shops = sim.shops(env)
    note(f"[bold]orderhub simulator[/bold] on {sim.url} (seed {seed}, {rate:g} orders/min)")
    click.echo("# environment:")
    for key, value in env.items():
        click.echo(f"export {key}={value}")
    click.echo("# orderhub.yaml:\nshops:")
    for shop in shops:
        data = shop.model_dump(exclude_defaults=True, exclude={"window"})
        click.echo(f"  - name: {data.pop('name')}")
        for key, value in data.items():
            click.echo(f"    {key}: {json.dumps(value, ensure_ascii=False)}")
    note("Ctrl-C to stop")
    sim.serve_forever()


COMMANDS = [simulator_command]
