import { BaseSequencer, type TestSpecification } from 'vitest/node'

/**
 * The security matrix and the fuzz suites are the workerd suite's longest files (minutes each):
 * started last, they would run alone at the end while the other workers sit idle. They start
 * first, the matrix (the longest: 346 s in a clean-clone CI, where no timing cache exists) before
 * the fuzz files, and every other file fills the remaining workers around them.
 */
const LONGEST_FIRST = [/\/test\/security\/matrix\./, /\/test\/security\/fuzz-/]

export class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files)
    const rank = (file: TestSpecification) => {
      const index = LONGEST_FIRST.findIndex((pattern) => pattern.test(file.moduleId))
      return index === -1 ? LONGEST_FIRST.length : index
    }
    return sorted
      .map((file, order) => ({ file, order }))
      .sort((a, b) => rank(a.file) - rank(b.file) || a.order - b.order)
      .map(({ file }) => file)
  }
}
