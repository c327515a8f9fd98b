package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// logEntry is an audit entry as stored in a cell's stream.
type logEntry struct {
	ID, Action, Decision, Reason string
	SubjectRef                   string `json:"subject_ref"`
	CaseID                       string `json:"case_id"`
	Record                       string `json:"record"`
}

// storedCase is the part of a stored dossier the invariants read.
type storedCase struct {
	ID         string   `json:"id"`
	SubjectRef string   `json:"subject_ref"`
	Category   string   `json:"category"`
	State      string   `json:"state"`
	Roster     []string `json:"roster"`
	Priority   int      `json:"priority"`
	Tasks      []struct {
		ID, Status string
	} `json:"tasks"`
	History []struct{ From, To string } `json:"history"`
}

// checkInvariants checks, from Redis itself, that the store and the cell's
// audit log tell the same story (one transaction per write):
//   - every record is named by exactly one allow entry of a submission, about
//     its person, and every such entry names a record that exists, unless an
//     allow entry erased the person after it;
//   - every dossier is named by exactly one allow case.create, every such
//     entry names a dossier (unless an allow entry erased its person after
//     it), and the dossier's state, history, roster,
//     priority, tasks and task statuses are what its allow entries say, in
//     order;
//   - the indexes and counts follow: the record order lists exactly the
//     records, the dossier index and roster indexes exactly the dossiers,
//     the signal counts the allowed submissions, the dossier counts the
//     dossiers.
func checkInvariants(t reporter, c *redis.Client, cell string) {
	t.Helper()
	ctx := context.Background()
	p := "livc:{livc:" + cell + "}:"
	msgs, err := c.XRange(ctx, p+"audit", "-", "+").Result()
	if err != nil {
		t.Errorf("reading the log: %v", err)
		return
	}
	var allow []logEntry
	for _, m := range msgs {
		var e logEntry
		if err := json.Unmarshal([]byte(m.Values["entry"].(string)), &e); err != nil {
			t.Errorf("entry %s: %v", m.ID, err)
			return
		}
		if e.Decision == "allow" {
			allow = append(allow, e)
		}
	}
	if len(allow) == 0 {
		t.Errorf("no allow entry in the cell's log: the check would prove nothing")
		return
	}
	keys := c.Keys(ctx, p+"*").Val()
	slices.Sort(keys)

	// Records.
	erasedAfter := func(i int, ref string) bool {
		return slices.ContainsFunc(allow[i+1:], func(e logEntry) bool { return e.Action == "subject.erase" && e.SubjectRef == ref })
	}
	// A correction stores a new record and deletes the one it corrects,
	// which its reason names.
	correctedAfter := func(i int, id string) bool {
		return slices.ContainsFunc(allow[i+1:], func(e logEntry) bool {
			return e.Action == "signal.correct" && strings.HasPrefix(e.Reason, "corrects "+id+":")
		})
	}
	// A retention.expire entry takes the record or dossier it names (a
	// dossier's names its signals in its reason), or, crypto-shredded,
	// everything of its person.
	expiredAfter := func(i int, ref, id string) bool {
		return slices.ContainsFunc(allow[i+1:], func(e logEntry) bool {
			return e.Action == "retention.expire" && e.SubjectRef == ref &&
				(e.Record == id || e.CaseID == id || strings.Contains(e.Reason, id) || strings.Contains(e.Reason, "crypto-shredded"))
		})
	}
	named := map[string][]logEntry{}
	signals := 0
	for i, e := range allow {
		if e.Action != "signal.submit" && e.Action != "observation.submit" && e.Action != "signal.correct" {
			continue
		}
		if e.Action == "signal.submit" {
			signals++
		}
		if e.Record == "" {
			t.Errorf("allow %s %s names no record", e.Action, e.ID)
			continue
		}
		named[e.Record] = append(named[e.Record], e)
		ok := c.HExists(ctx, p+"subject:"+e.SubjectRef+":records", e.Record).Val()
		if !ok && !erasedAfter(i, e.SubjectRef) && !correctedAfter(i, e.Record) && !expiredAfter(i, e.SubjectRef, e.Record) {
			t.Errorf("allow %s %s names record %s, which is not stored", e.Action, e.ID, e.Record)
		}
	}
	records := 0
	for _, k := range keys {
		ref, ok := strings.CutSuffix(strings.TrimPrefix(k, p+"subject:"), ":records")
		if !ok || !strings.HasPrefix(k, p+"subject:") {
			continue
		}
		ids := c.HKeys(ctx, k).Val()
		order := c.LRange(ctx, p+"subject:"+ref+":record-ids", 0, -1).Val()
		if fmt.Sprint(sorted(ids)) != fmt.Sprint(sorted(order)) {
			t.Errorf("subject %s: records %v but order %v", ref, ids, order)
		}
		for _, id := range ids {
			records++
			es := named[id]
			if len(es) != 1 || es[0].SubjectRef != ref {
				t.Errorf("record %s of %s is named by %d allow entries (%+v)", id, ref, len(es), es)
			}
		}
	}
	if got := sumHash(t, c, p+"stats:signals"); got != signals {
		t.Errorf("the signal counts add up to %d, the log allowed %d submissions", got, signals)
	}

	// Dossiers.
	created := map[string]int{}
	for i, e := range allow {
		if e.Action == "case.create" {
			created[e.CaseID]++
			// An erasure deletes the person's dossiers with them.
			if c.Exists(ctx, p+"case:"+e.CaseID).Val() != 1 && !erasedAfter(i, e.SubjectRef) && !expiredAfter(i, e.SubjectRef, e.CaseID) {
				t.Errorf("allow case.create %s names dossier %s, which is not stored", e.ID, e.CaseID)
			}
		}
	}
	counts := map[string]int{}
	roster := map[string][]string{}
	var dossiers []string
	for _, k := range keys {
		id, ok := strings.CutPrefix(k, p+"case:")
		if !ok {
			continue
		}
		dossiers = append(dossiers, id)
		if created[id] != 1 {
			t.Errorf("dossier %s is named by %d allow case.create entries", id, created[id])
		}
		var d storedCase
		if err := json.Unmarshal([]byte(c.Get(ctx, k).Val()), &d); err != nil {
			t.Errorf("dossier %s: %v", id, err)
			continue
		}
		checkDossierStory(t, d, allow)
		counts["state:"+d.State]++
		counts["category:"+d.Category]++
		prio := "none"
		if d.Priority != 0 {
			prio = strconv.Itoa(d.Priority)
		}
		counts["priority:"+prio]++
		if d.State != "closed" {
			for _, a := range d.Roster {
				roster[a] = append(roster[a], id)
			}
		}
	}
	if idx := c.ZRange(ctx, p+"cases", 0, -1).Val(); fmt.Sprint(sorted(idx)) != fmt.Sprint(sorted(dossiers)) {
		t.Errorf("dossier index %v, dossiers %v", idx, dossiers)
	}
	for _, k := range keys {
		a, ok := strings.CutSuffix(strings.TrimPrefix(k, p+"actor:"), ":cases")
		if !ok || !strings.HasPrefix(k, p+"actor:") {
			continue
		}
		if idx := c.ZRange(ctx, k, 0, -1).Val(); fmt.Sprint(sorted(idx)) != fmt.Sprint(sorted(roster[a])) {
			t.Errorf("roster index of %s is %v, open dossiers with %s on the roster %v", a, idx, a, roster[a])
		}
		delete(roster, a)
	}
	if len(roster) > 0 {
		t.Errorf("roster index missing for %v", roster)
	}
	for f, v := range c.HGetAll(ctx, p+"stats:cases").Val() {
		if n, _ := strconv.Atoi(v); n != counts[f] {
			t.Errorf("count %s is %d, dossiers say %d", f, n, counts[f])
		}
		delete(counts, f)
	}
	if len(counts) > 0 {
		t.Errorf("counts missing: %v", counts)
	}
}

// checkDossierStory replays the allow entries about dossier d, in log order,
// and checks that they end where d is.
func checkDossierStory(t reporter, d storedCase, allow []logEntry) {
	t.Helper()
	state, roster, prio := "registration", "[]", 0
	moves, tasks := 0, map[string]string{}
	var taskOrder []string
	for _, e := range allow {
		if e.CaseID != d.ID {
			continue
		}
		_, after, _ := strings.Cut(e.Reason, " -> ")
		switch e.Action {
		case "case.transition":
			state, _, _ = strings.Cut(after, ";") // then its outcome, if any
			moves++
		case "roster.change":
			roster = after
		case "case.priority":
			prio, _ = strconv.Atoi(after)
		case "task.assign":
			id := strings.Fields(e.Reason)[1]
			tasks[id] = "open"
			taskOrder = append(taskOrder, id)
		case "task.report":
			tasks[strings.Fields(e.Reason)[1]] = after
		}
	}
	if d.State != state || len(d.History) != moves {
		t.Errorf("dossier %s: state %s after %d moves, the log says %s after %d", d.ID, d.State, len(d.History), state, moves)
	}
	if got := "[" + strings.Join(d.Roster, ",") + "]"; got != roster {
		t.Errorf("dossier %s: roster %s, the log says %s", d.ID, got, roster)
	}
	if d.Priority != prio {
		t.Errorf("dossier %s: priority %d, the log says %d", d.ID, d.Priority, prio)
	}
	if len(d.Tasks) != len(taskOrder) {
		t.Errorf("dossier %s: %d tasks, the log assigned %d", d.ID, len(d.Tasks), len(taskOrder))
	}
	for i, task := range d.Tasks {
		if i < len(taskOrder) && (task.ID != taskOrder[i] || task.Status != tasks[task.ID]) {
			t.Errorf("dossier %s: task %s %s, the log says %s %s", d.ID, task.ID, task.Status, taskOrder[i], tasks[taskOrder[i]])
		}
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func sumHash(t reporter, c *redis.Client, key string) int {
	t.Helper()
	total := 0
	for _, v := range c.HGetAll(context.Background(), key).Val() {
		n, err := strconv.Atoi(v)
		if err != nil {
			t.Errorf("%s holds %q", key, v)
		}
		total += n
	}
	return total
}

// reporter is what checkInvariants reports to: a *testing.T, or a recorder
// that proves the checker finds a broken store.
type reporter interface {
	Helper()
	Errorf(format string, args ...any)
}

// recorder keeps what a check reported.
type recorder struct{ errs []string }

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}
