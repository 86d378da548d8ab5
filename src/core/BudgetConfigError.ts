/** A budget definition is invalid. `field` names the offending field, e.g. `budgets[1].maxUsd`. */
export class BudgetConfigError extends Error {
  readonly field: string;

  constructor(field: string, problem: string) {
    super(`tollgate: invalid budget: ${field} ${problem}`);
    this.name = 'BudgetConfigError';
    this.field = field;
  }
}
