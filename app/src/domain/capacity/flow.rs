//! What a team can cover as a maximum flow from the demand's skills to pools of people with
//! the same skills (Dinic's algorithm), and the demand prepared for it.

use super::Minutes;

pub(super) struct Prepared {
    pub(super) weeks: u32,
    /// (skill, total minutes), by skill id.
    pub(super) lines: Vec<(i64, Minutes)>,
    /// Per engine person, which of `lines` they can do.
    pub(super) masks: Vec<u32>,
}

pub(super) struct Pool {
    pub(super) mask: u32,
    pub(super) capacity: Minutes,
}

pub(super) fn flow_value(flow: &[Vec<Minutes>]) -> Minutes {
    flow.iter().flatten().sum()
}

/// Maximum flow from skills (`needs[s]`) to pools (`pools[g].capacity`), an edge wherever
/// the pool has the skill. Answers `flow[s][g]`. Dinic's algorithm on a graph of at most
/// 16 + 2^16 nodes (in practice a handful).
pub(super) fn max_flow(needs: &[Minutes], pools: &[Pool]) -> Vec<Vec<Minutes>> {
    let s_count = needs.len();
    let g_count = pools.len();
    let source = 0;
    let sink = 1 + s_count + g_count;
    let mut graph = FlowGraph::new(sink + 1);
    for (s, &need) in needs.iter().enumerate() {
        if need > 0 {
            graph.add(source, 1 + s, need);
        }
    }
    let mut skill_edges = vec![Vec::new(); s_count];
    for (g, pool) in pools.iter().enumerate() {
        for (s, edges) in skill_edges.iter_mut().enumerate() {
            if pool.mask & (1 << s) != 0 && needs[s] > 0 {
                edges.push((g, graph.add(1 + s, 1 + s_count + g, Minutes::MAX / 4)));
            }
        }
        graph.add(1 + s_count + g, sink, pool.capacity);
    }
    graph.run(source, sink);
    let mut flow = vec![vec![0; g_count]; s_count];
    for (s, edges) in skill_edges.iter().enumerate() {
        for &(g, e) in edges {
            flow[s][g] = graph.flow_on(e);
        }
    }
    flow
}

struct FlowGraph {
    /// (to, capacity left, original capacity)
    edges: Vec<(usize, Minutes, Minutes)>,
    adjacency: Vec<Vec<usize>>,
}

impl FlowGraph {
    fn new(nodes: usize) -> Self {
        Self {
            edges: Vec::new(),
            adjacency: vec![Vec::new(); nodes],
        }
    }

    fn add(&mut self, from: usize, to: usize, capacity: Minutes) -> usize {
        let id = self.edges.len();
        self.edges.push((to, capacity, capacity));
        self.adjacency[from].push(id);
        self.edges.push((from, 0, 0));
        self.adjacency[to].push(id + 1);
        id
    }

    fn flow_on(&self, edge: usize) -> Minutes {
        self.edges[edge].2 - self.edges[edge].1
    }

    fn run(&mut self, source: usize, sink: usize) {
        let n = self.adjacency.len();
        let mut level = vec![-1_i32; n];
        let mut next = vec![0_usize; n];
        loop {
            level.iter_mut().for_each(|l| *l = -1);
            level[source] = 0;
            let mut queue = std::collections::VecDeque::from([source]);
            while let Some(v) = queue.pop_front() {
                for &e in &self.adjacency[v] {
                    let (to, cap, _) = self.edges[e];
                    if cap > 0 && level[to] < 0 {
                        level[to] = level[v] + 1;
                        queue.push_back(to);
                    }
                }
            }
            if level[sink] < 0 {
                return;
            }
            next.iter_mut().for_each(|i| *i = 0);
            while self.push(source, sink, Minutes::MAX, &level, &mut next) > 0 {}
        }
    }

    fn push(
        &mut self,
        v: usize,
        sink: usize,
        limit: Minutes,
        level: &[i32],
        next: &mut [usize],
    ) -> Minutes {
        if v == sink {
            return limit;
        }
        while next[v] < self.adjacency[v].len() {
            let e = self.adjacency[v][next[v]];
            let (to, cap, _) = self.edges[e];
            if cap > 0 && level[to] == level[v] + 1 {
                let pushed = self.push(to, sink, limit.min(cap), level, next);
                if pushed > 0 {
                    self.edges[e].1 -= pushed;
                    self.edges[e ^ 1].1 += pushed;
                    return pushed;
                }
            }
            next[v] += 1;
        }
        0
    }
}
