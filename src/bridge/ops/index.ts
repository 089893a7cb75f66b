// Every module that registers ops or tasks, imported for its side effects by the
// server and by each pool worker. One line per module.
import "./debug.js";
import "./caches.js";
import "../../spectrum/ops.js";
import "../../hpss/ops.js";
import "../../pitch/ops.js";
import "../../pitch/pyinOps.js";
import "../../cqt/ops.js";
