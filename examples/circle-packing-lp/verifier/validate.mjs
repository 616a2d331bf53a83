// Gate stage: pack.mjs must print a valid packing of 26 circles (see circles.mjs).
import { COUNT, loadPacking } from './circles.mjs';

loadPacking();
console.log(JSON.stringify({ circles: COUNT }));
