package file

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/fsnotify/fsnotify"
	"github.com/go-logr/logr"
)

// watches keeps an fsnotify watch on every folder that holds input files:
// the configured folders and their subfolders, and the parent folder of each
// configured file (editors replace files by renaming over them).
type watches struct {
	watcher *fsnotify.Watcher
	log     logr.Logger
}

// events and errors are the watcher's channels; nil (never ready) without a watcher.
func (w *watches) events() chan fsnotify.Event {
	if w.watcher == nil {
		return nil
	}
	return w.watcher.Events
}

func (w *watches) errors() chan error {
	if w.watcher == nil {
		return nil
	}
	return w.watcher.Errors
}

// ensure adds a watch for each folder not watched yet and reports whether
// it added one.
func (w *watches) ensure(dirs []string) (added bool) {
	if w.watcher == nil {
		return false
	}
	watched := w.watcher.WatchList()
	for _, d := range dirs {
		if slices.Contains(watched, d) {
			continue
		}
		if err := w.watcher.Add(d); err != nil {
			w.log.Error(err, "cannot watch folder; changes are seen at the next resync", "folder", d)
			continue
		}
		added = true
	}
	return added
}

// listing is the outcome of listing the configured paths.
type listing struct {
	// files are the input files, sorted, without duplicates.
	files []string
	// dirs are the folders to watch.
	dirs []string
	// problems are paths that could not be listed.
	problems []Problem
}

// listFiles walks the configured paths.
func listFiles(paths []string) listing {
	var l listing
	for _, p := range paths {
		info, err := os.Stat(p)
		switch {
		case err != nil:
			l.problems = append(l.problems, Problem{Source: Source{File: p}, Message: pathError(err)})
			if parent := filepath.Dir(p); isDir(parent) {
				l.dirs = append(l.dirs, parent)
			}
		case info.IsDir():
			l.walk(p)
		default:
			l.files = append(l.files, p)
			l.dirs = append(l.dirs, filepath.Dir(p))
		}
	}
	slices.Sort(l.files)
	l.files = slices.Compact(l.files)
	slices.Sort(l.dirs)
	l.dirs = slices.Compact(l.dirs)
	return l
}

func (l *listing) walk(root string) {
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			l.problems = append(l.problems, Problem{Source: Source{File: path}, Message: pathError(err)})
			return nil
		}
		if path != root && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			l.dirs = append(l.dirs, path)
			return nil
		}
		if isInputFile(path, d) {
			l.files = append(l.files, path)
		}
		return nil
	})
	if err != nil {
		l.problems = append(l.problems, Problem{Source: Source{File: root}, Message: pathError(err)})
	}
}

// isInputFile reports whether a folder entry is a YAML or JSON file (or a
// symbolic link to one, as in a mounted ConfigMap).
func isInputFile(path string, d fs.DirEntry) bool {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".yaml", ".yml", ".json":
	default:
		return false
	}
	if d.Type().IsRegular() {
		return true
	}
	if d.Type()&fs.ModeSymlink != 0 {
		info, err := os.Stat(path)
		return err == nil && info.Mode().IsRegular()
	}
	return false
}

// isInput reports whether a path is an input file of the configured paths
// (as listFiles would list it): a configured file, or a YAML or JSON file
// under a configured folder with no hidden name on the way.
func (p *Provider) isInput(path string) bool {
	for _, c := range p.opts.Paths {
		c = filepath.Clean(c)
		if path == c {
			return true
		}
		if rel, ok := under(c, path); ok && visible(rel) {
			switch strings.ToLower(filepath.Ext(path)) {
			case ".yaml", ".yml", ".json":
				return true
			}
		}
	}
	return false
}

// isInputDir reports whether a folder is a configured folder or one under
// it with no hidden name on the way.
func (p *Provider) isInputDir(path string) bool {
	for _, c := range p.opts.Paths {
		c = filepath.Clean(c)
		if path == c {
			return true
		}
		if rel, ok := under(c, path); ok && visible(rel) {
			return true
		}
	}
	return false
}

// under returns path relative to root when it is below root.
func under(root, path string) (string, bool) {
	prefix := root + string(filepath.Separator)
	if !strings.HasPrefix(path, prefix) {
		return "", false
	}
	return path[len(prefix):], true
}

// visible reports whether no element of a relative path starts with a dot.
func visible(rel string) bool {
	for e := range strings.SplitSeq(rel, string(filepath.Separator)) {
		if strings.HasPrefix(e, ".") {
			return false
		}
	}
	return true
}

// configuredPathProblems are the configured paths that cannot be read.
func (p *Provider) configuredPathProblems() []Problem {
	var out []Problem
	for _, c := range p.opts.Paths {
		if _, err := os.Stat(c); err != nil {
			out = append(out, Problem{Source: Source{File: c}, Message: pathError(err)})
		}
	}
	return out
}

func isDir(p string) bool {
	info, err := os.Stat(p)
	return err == nil && info.IsDir()
}

func pathError(err error) string {
	if pe, ok := errors.AsType[*fs.PathError](err); ok {
		return pe.Op + ": " + pe.Err.Error()
	}
	return err.Error()
}

// ReadPaths reads the input files of paths (files and folders, as the
// provider does) in path order. Paths that cannot be read are problems.
func ReadPaths(paths []string) ([]FileData, []Problem) {
	l := listFiles(paths)
	problems := l.problems
	files := make([]FileData, 0, len(l.files))
	for _, name := range l.files {
		data, err := os.ReadFile(name)
		if err != nil {
			problems = append(problems, Problem{Source: Source{File: name}, Message: pathError(err)})
			continue
		}
		files = append(files, FileData{Name: name, Data: data})
	}
	return files, problems
}
