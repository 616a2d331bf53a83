// Which island the next proposal goes to. The default sends it to the island with the fewest
// proposals in flight (ties by the proposal's seeded random), so `parallel` > 1 widens the
// search instead of racing on one parent. A bandit over islands plugs in here (PopulationDeps.chooseIsland).

export interface IslandLoad {
  island: number;
  inFlight: number;
}

/** Returns one of `loads`' islands; `random` is the proposal's own seeded generator. */
export type IslandChooser = (loads: IslandLoad[], random: () => number) => number;

export const fewestInFlight: IslandChooser = (loads, random) => {
  const least = Math.min(...loads.map((l) => l.inFlight));
  const tied = loads.filter((l) => l.inFlight === least);
  return tied[Math.floor(random() * tied.length)].island;
};
