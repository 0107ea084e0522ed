package db

import "context"

// Grades returns the grade of every domain stored for a run, by domain,
// without decoding evidence: the previous grade of each vendor row.
func (d *DB) Grades(ctx context.Context, runID int64) (map[string]string, error) {
	rows, err := d.sql.QueryContext(ctx, `SELECT domain, grade FROM domain_results WHERE run_id = ?`, runID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var dom, g string
		if err := rows.Scan(&dom, &g); err != nil {
			return nil, err
		}
		out[dom] = g
	}
	return out, rows.Err()
}
