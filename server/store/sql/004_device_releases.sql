-- Version 4: a device that keeps handing jobs back (issue 12, defect 4). `releases` counts
-- every release; `release_streak` those since the device last started a run it did not hand
-- back; past a few in a row its claims are held off until `held_until` (doubling, capped),
-- so a device whose profile cannot open stops stealing claims from one that works.
ALTER TABLE devices ADD COLUMN releases INTEGER NOT NULL DEFAULT 0;
ALTER TABLE devices ADD COLUMN release_streak INTEGER NOT NULL DEFAULT 0;
ALTER TABLE devices ADD COLUMN held_until REAL;
