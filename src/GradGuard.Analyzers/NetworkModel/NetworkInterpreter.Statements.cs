using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using System.Runtime.CompilerServices;

namespace GradGuard.Analyzers.NetworkModel
{
    internal sealed partial class NetworkInterpreter
    {
        [MethodImpl(HotPaths.Optimized)]
        private void Execute(IOperation? operation, Frame frame)
        {
            if (operation is null || frame.IsDone || !Tick())
            {
                return;
            }

            // A jump on Kind, as in Eval: every statement of every body the interpreter runs comes through here.
            switch (operation.Kind)
            {
                case OperationKind.MethodBody or OperationKind.ConstructorBody:
                    var body = (IMethodBodyBaseOperation)operation;
                    Execute(body.BlockBody ?? body.ExpressionBody, frame);
                    break;
                case OperationKind.Block:
                    foreach (var statement in ((IBlockOperation)operation).Operations)
                    {
                        Execute(statement, frame);
                    }

                    break;
                case OperationKind.VariableDeclarationGroup:
                    Declare((IVariableDeclarationGroupOperation)operation, frame);
                    break;
                case OperationKind.UsingDeclaration:
                    Declare(((IUsingDeclarationOperation)operation).DeclarationGroup, frame);
                    break;
                case OperationKind.ExpressionStatement:
                    var expression = ((IExpressionStatementOperation)operation).Operation;
                    if (expression.Kind == OperationKind.Throw)
                    {
                        // A path that throws builds nothing: it ends like a return that returns nothing.
                        frame.HasReturned = true;
                    }
                    else
                    {
                        Eval(expression, frame);
                    }

                    break;
                case OperationKind.Return:
                    var returned = ((IReturnOperation)operation).ReturnedValue;
                    frame.AddReturn(returned is null ? null : Eval(returned, frame));
                    frame.HasReturned = true;
                    break;
                case OperationKind.YieldBreak:
                    frame.HasReturned = true;
                    break;
                case OperationKind.Branch:
                    switch (((IBranchOperation)operation).BranchKind)
                    {
                        case BranchKind.Break:
                            frame.Exit = LoopExit.Break;
                            break;
                        case BranchKind.Continue:
                            frame.Exit = LoopExit.Continue;
                            break;
                    }

                    break;
                case OperationKind.Conditional:
                    ExecuteIf((IConditionalOperation)operation, frame);
                    break;
                case OperationKind.Switch:
                    ExecuteSwitch((ISwitchOperation)operation, frame);
                    break;
                case OperationKind.Loop:
                    switch (operation)
                    {
                        case IForLoopOperation loop:
                            ExecuteFor(loop, frame);
                            break;
                        case IForEachLoopOperation loop:
                            ExecuteForEach(loop, frame);
                            break;
                        case IWhileLoopOperation loop:
                            ExecuteWhile(loop, frame);
                            break;
                    }

                    break;
                case OperationKind.Using:
                    var usingBlock = (IUsingOperation)operation;
                    Execute(usingBlock.Resources, frame);
                    Execute(usingBlock.Body, frame);
                    break;
                case OperationKind.Try:
                    var tryBlock = (ITryOperation)operation;
                    Execute(tryBlock.Body, frame);
                    Execute(tryBlock.Finally, frame);
                    break;
                case OperationKind.Lock:
                    Execute(((ILockOperation)operation).Body, frame);
                    break;
                case OperationKind.Labeled:
                    Execute(((ILabeledOperation)operation).Operation, frame);
                    break;
                default:
                    if (operation.Type is not null)
                    {
                        Eval(operation, frame);
                    }

                    break;
            }
        }

        private void Declare(IVariableDeclarationGroupOperation group, Frame frame)
        {
            foreach (var declaration in group.Declarations)
            {
                foreach (var declarator in declaration.Declarators)
                {
                    var initializer = declarator.Initializer ?? declaration.Initializer;
                    DeclareLocal(frame, declarator.Symbol, initializer is null ? null : Eval(initializer.Value, frame));
                }
            }
        }

        /// <summary>A local declared in this body: a loop body's locals start afresh on every iteration.</summary>
        private static void DeclareLocal(Frame frame, ISymbol local, Value? value)
        {
            if (value is null)
            {
                frame.Locals.Remove(local);
            }
            else
            {
                frame.Locals[local] = value;
            }
        }

        private void ExecuteIf(IConditionalOperation branch, Frame frame)
        {
            switch (Condition(branch.Condition, frame))
            {
                case true:
                    Execute(branch.WhenTrue, frame);
                    break;
                case false:
                    Execute(branch.WhenFalse, frame);
                    break;
                default:
                    RunAlternatives(frame, new[] { Run(branch.WhenTrue, frame), Run(branch.WhenFalse, frame) });
                    break;
            }
        }

        private System.Action Run(IOperation? operation, Frame frame) => () => Execute(operation, frame);

        private bool? Condition(IOperation condition, Frame frame) => (Eval(condition, frame) as ConstantValue)?.AsBool;

        /// <summary>
        /// The cases whose labels the value may match run as alternatives; a case the value surely matches runs alone.
        /// A <c>break</c> ends the case, not an enclosing loop.
        /// </summary>
        private void ExecuteSwitch(ISwitchOperation switchStatement, Frame frame)
        {
            var value = Eval(switchStatement.Value, frame);
            var candidates = new List<ISwitchCaseOperation>();
            ISwitchCaseOperation? defaultCase = null;
            var matchedForSure = false;
            foreach (var switchCase in switchStatement.Cases)
            {
                bool? matches = false;
                foreach (var clause in switchCase.Clauses)
                {
                    if (clause is IDefaultCaseClauseOperation)
                    {
                        defaultCase = switchCase;
                        continue;
                    }

                    matches = Or(matches, ClauseMatches(clause, value, frame));
                }

                if (matches != false)
                {
                    candidates.Add(switchCase);
                }

                if (matches == true)
                {
                    matchedForSure = true;
                    break;
                }
            }

            if (!matchedForSure && defaultCase is not null && !candidates.Contains(defaultCase))
            {
                candidates.Add(defaultCase);
            }

            var branches = candidates.Select(c => (System.Action)(() => ExecuteCase(c, frame))).ToList();
            if (!matchedForSure && defaultCase is null)
            {
                branches.Add(() => { });
            }

            if (branches.Count == 1)
            {
                branches[0]();
            }
            else if (branches.Count > 1)
            {
                RunAlternatives(frame, branches);
            }
        }

        private void ExecuteCase(ISwitchCaseOperation switchCase, Frame frame)
        {
            foreach (var statement in switchCase.Body)
            {
                Execute(statement, frame);
            }

            if (frame.Exit == LoopExit.Break)
            {
                frame.Exit = LoopExit.None;
            }
        }

        private bool? ClauseMatches(ICaseClauseOperation clause, Value? value, Frame frame) => clause switch
        {
            ISingleValueCaseClauseOperation single => Equal(value, Eval(single.Value, frame)),
            IPatternCaseClauseOperation pattern => And(Match(value, pattern.Pattern, frame), pattern.Guard is null ? true : Condition(pattern.Guard, frame)),
            _ => null,
        };

        private static bool? Or(bool? first, bool? second) => first == true || second == true ? true : first == false && second == false ? false : null;

        private static bool? And(bool? first, bool? second) => first == false || second == false ? false : first == true && second == true ? true : null;
    }
}
