package anyws

import "iter"

// smallTopics is how many topics a peer keeps in a list before it
// switches to a map.
const smallTopics = 8

// topicSet is a peer's topics: a short list while it has a few (most
// peers have one or two; a map holding one topic costs 256 bytes, the
// list 16), a map once it has more than smallTopics.
type topicSet struct {
	list []string
	m    map[string]struct{} // non-nil: the topics are here, list is nil
}

func (s *topicSet) has(t string) bool {
	if s.m != nil {
		_, ok := s.m[t]
		return ok
	}
	for _, x := range s.list {
		if x == t {
			return true
		}
	}
	return false
}

// add adds t and reports whether it was not there already.
func (s *topicSet) add(t string) bool {
	switch {
	case s.m != nil:
		if _, ok := s.m[t]; ok {
			return false
		}
		s.m[t] = struct{}{}
	case s.has(t):
		return false
	case len(s.list) < smallTopics:
		s.list = append(s.list, t)
	default:
		s.m = make(map[string]struct{}, 2*smallTopics)
		for _, x := range s.list {
			s.m[x] = struct{}{}
		}
		s.m[t] = struct{}{}
		s.list = nil
	}
	return true
}

// remove removes t and reports whether it was there.
func (s *topicSet) remove(t string) bool {
	if s.m != nil {
		if _, ok := s.m[t]; !ok {
			return false
		}
		delete(s.m, t)
		return true
	}
	for i, x := range s.list {
		if x == t {
			last := len(s.list) - 1
			s.list[i] = s.list[last]
			s.list[last] = ""
			s.list = s.list[:last]
			if last == 0 {
				s.list = nil
			}
			return true
		}
	}
	return false
}

func (s *topicSet) len() int {
	if s.m != nil {
		return len(s.m)
	}
	return len(s.list)
}

// all yields the topics, in no particular order.
func (s *topicSet) all() iter.Seq[string] {
	return func(yield func(string) bool) {
		if s.m != nil {
			for t := range s.m {
				if !yield(t) {
					return
				}
			}
			return
		}
		for _, t := range s.list {
			if !yield(t) {
				return
			}
		}
	}
}
