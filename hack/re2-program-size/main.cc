// re2-program-size prints, for each regular expression read from standard
// input (one per line), RE2's ProgramSize (the measure Envoy checks against
// re2.max_program_size.error_level) and the expression, tab-separated, or
// "ERR" when RE2 does not compile it. It produces
// internal/re2size/testdata/program-sizes.tsv, against which the
// resource translator's estimate is tested:
//
//   apt-get install -y libre2-dev g++
//   g++ -O1 -o /tmp/re2-program-size hack/re2-program-size/main.cc -lre2
//   cut -f2 internal/re2size/testdata/program-sizes.tsv | /tmp/re2-program-size
#include <re2/re2.h>

#include <iostream>
#include <string>

int main() {
  std::string line;
  while (std::getline(std::cin, line)) {
    RE2 re(line, RE2::Quiet);  // Envoy's options
    if (!re.ok()) {
      std::cout << "ERR\t" << line << "\n";
      continue;
    }
    std::cout << re.ProgramSize() << "\t" << line << "\n";
  }
  return 0;
}
