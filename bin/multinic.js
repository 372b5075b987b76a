#!/usr/bin/env node
// Entry point of the published package and the container image: the compiled CLI.
import '../lib/cli/bin.js';
