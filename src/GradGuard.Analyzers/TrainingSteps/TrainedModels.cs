using System.Collections.Generic;
using System.Linq;
using System.Threading;
using GradGuard.Analyzers.NetworkModel;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace GradGuard.Analyzers.TrainingSteps
{
    /// <summary>A model a training step trains, as it is referred to there.</summary>
    internal sealed class TrainedModel
    {
        public TrainedModel(IOperation reference, ISymbol? symbol, IReadOnlyList<ITypeSymbol> types)
        {
            Reference = reference;
            Symbol = symbol;
            Types = types;
        }

        /// <summary>The local, field, property, parameter or <c>this</c> that names the model.</summary>
        public IOperation Reference { get; }

        /// <summary>The variable behind <see cref="Reference"/>; null for <c>this</c>.</summary>
        public ISymbol? Symbol { get; }

        /// <summary>The classes the model may be: the variable's type and the types of what is assigned to it.</summary>
        public IReadOnlyList<ITypeSymbol> Types { get; }

        public string Name => Reference is IInstanceReferenceOperation ? Reference.Type?.Name ?? "this" : Reference.Syntax.ToString();
    }

    /// <summary>
    /// Finds the models a training step trains, through the optimizer (<c>optim.Adam(model.parameters())</c>) and through
    /// the loss (<c>loss = criterion.call(model.call(x), y)</c>), following what is assigned to locals in the member and to
    /// fields and properties in its class.
    /// </summary>
    internal sealed class TrainedModels
    {
        private const int MaxDepth = 4;

        private readonly TorchSymbols torch;
        private readonly SemanticModel model;
        private readonly SyntaxNode member;
        private readonly CancellationToken cancellationToken;

        /// <param name="member">The member (or top-level program) the training step is in, whose locals are followed.</param>
        public TrainedModels(TorchSymbols torch, SemanticModel model, SyntaxNode member, CancellationToken cancellationToken)
        {
            this.torch = torch;
            this.model = model;
            this.member = member;
            this.cancellationToken = cancellationToken;
        }

        /// <summary>The modules whose <c>parameters()</c> went into the optimizer that <paramref name="step"/> steps.</summary>
        public IEnumerable<TrainedModel> ThroughOptimizer(IInvocationOperation step)
        {
            if (step.Instance is null)
            {
                yield break;
            }

            foreach (var optimizer in ValuesOf(step.Instance, 0))
            {
                var arguments = optimizer switch
                {
                    IInvocationOperation factory when torch.CreatesOptimizer(factory.TargetMethod) => factory.Arguments,
                    IObjectCreationOperation creation when torch.IsOptimizer(creation.Type) => creation.Arguments,
                    _ => default,
                };
                foreach (var argument in arguments.IsDefault ? Enumerable.Empty<IArgumentOperation>() : arguments)
                {
                    foreach (var parameters in ValuesOf(argument.Value, 0).SelectMany(value => value.DescendantsAndSelf()).OfType<IInvocationOperation>())
                    {
                        if ((torch.IsModuleMethod(parameters.TargetMethod, "parameters") || torch.IsModuleMethod(parameters.TargetMethod, "named_parameters"))
                            && parameters.Instance is { } module)
                        {
                            yield return ModelOf(module);
                        }
                    }
                }
            }
        }

        /// <summary>The modules whose output the loss that <paramref name="backward"/> differentiates was computed from.</summary>
        public IEnumerable<TrainedModel> ThroughLoss(IInvocationOperation backward)
        {
            var visited = new HashSet<ILocalSymbol>(SymbolEqualityComparer.Default);
            var pending = new Queue<IOperation>(backward.Instance is { } loss ? new[] { loss } : backward.Arguments.Select(argument => argument.Value));
            while (pending.Count > 0)
            {
                foreach (var operation in pending.Dequeue().DescendantsAndSelf())
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    switch (operation)
                    {
                        case IInvocationOperation { TargetMethod.Name: "call" or "forward", Instance: { } module } when torch.IsModuleType(module.Type):
                            yield return ModelOf(module);
                            break;
                        case IArgumentOperation { Value: var argument } when torch.IsModuleType(argument.Type) && IsVariable(argument):
                            // A module handed to a helper that computes the loss.
                            yield return ModelOf(argument);
                            break;
                        case ILocalReferenceOperation local when visited.Add(local.Local):
                            foreach (var value in AssignedToLocal(local.Local))
                            {
                                pending.Enqueue(value);
                            }

                            break;
                    }
                }
            }
        }

        private TrainedModel ModelOf(IOperation reference)
        {
            reference = Unwrap(reference);
            var symbol = reference switch
            {
                ILocalReferenceOperation local => local.Local,
                IFieldReferenceOperation field => field.Field,
                IPropertyReferenceOperation property => property.Property,
                IParameterReferenceOperation parameter => (ISymbol)parameter.Parameter,
                _ => null,
            };

            // A model held as Module<Tensor, Tensor> is still the class it was created as, and a Sequential holds what it was built from.
            var types = new List<ITypeSymbol>();
            AddModuleTypes(reference, types);
            foreach (var value in ValuesOf(reference, 0))
            {
                AddModuleTypes(value, types);
            }

            return new TrainedModel(reference, symbol, types);
        }

        /// <summary>Adds the module types of the creations, calls and references in <paramref name="value"/>, each once, in the tree's order.</summary>
        private void AddModuleTypes(IOperation value, List<ITypeSymbol> types)
        {
            foreach (var operation in value.DescendantsAndSelf())
            {
                if (operation is IObjectCreationOperation or IInvocationOperation or ILocalReferenceOperation or IFieldReferenceOperation or IPropertyReferenceOperation or IParameterReferenceOperation or IInstanceReferenceOperation
                    && operation.Type is { } type
                    && torch.IsModuleType(type)
                    && !types.Contains(type, SymbolEqualityComparer.Default))
                {
                    types.Add(type);
                }
            }
        }

        /// <summary>What a reference can hold; the reference itself where nothing assigned to it is known.</summary>
        private IEnumerable<IOperation> ValuesOf(IOperation reference, int depth)
        {
            reference = Unwrap(reference);
            var assigned = depth < MaxDepth ? Assigned(reference).ToList() : new List<IOperation>();
            return assigned.Count == 0 ? new[] { reference } : assigned.SelectMany(value => ValuesOf(value, depth + 1));
        }

        private IEnumerable<IOperation> Assigned(IOperation reference) => reference switch
        {
            ILocalReferenceOperation local => AssignedToLocal(local.Local),
            IFieldReferenceOperation field => AssignedToMember(field.Field),
            IPropertyReferenceOperation { Arguments.Length: 0 } property => AssignedToMember(property.Property),
            _ => Enumerable.Empty<IOperation>(),
        };

        /// <remarks>
        /// Found through the member's text: the places that name the local are few, and only a declarator or the target of an
        /// assignment among them is asked for its operation, where walking the member's whole operation tree for each local
        /// followed was a third of what reading a training step cost. They come in the text's order, which is the tree's.
        /// </remarks>
        private IEnumerable<IOperation> AssignedToLocal(ILocalSymbol local)
        {
            var text = SourceTexts.Of(member.SyntaxTree, cancellationToken);
            foreach (var at in SourceTexts.WordsIn(text, member.Span, local.Name))
            {
                var token = member.FindToken(at);
                if (!token.IsKind(SyntaxKind.IdentifierToken) || !token.Span.Contains(at) || token.ValueText != local.Name)
                {
                    continue;
                }

                switch (AssignmentOrDeclaratorAt(token))
                {
                    case VariableDeclaratorSyntax declarator
                        when model.GetOperation(declarator, cancellationToken) is IVariableDeclaratorOperation operation
                            && SymbolEqualityComparer.Default.Equals(operation.Symbol, local)
                            && operation.GetVariableInitializer() is { Value: var initial }:
                        yield return initial;
                        break;
                    case AssignmentExpressionSyntax assignment:
                        switch (model.GetOperation(assignment, cancellationToken))
                        {
                            case ISimpleAssignmentOperation { Target: ILocalReferenceOperation target, Value: var value } when SymbolEqualityComparer.Default.Equals(target.Local, local):
                                yield return value;
                                break;
                            case IDeconstructionAssignmentOperation deconstruction
                                when deconstruction.Target.DescendantsAndSelf().OfType<ILocalReferenceOperation>().Any(target => SymbolEqualityComparer.Default.Equals(target.Local, local)):
                                yield return deconstruction.Value;
                                break;
                        }

                        break;
                }
            }
        }

        /// <summary>
        /// The declarator an identifier names, or the assignment whose target it is or is part of: <c>loss = ...</c>,
        /// <c>(loss) = ...</c>, <c>(a, loss) = ...</c>, <c>var (a, loss) = ...</c>; null for any other use of it.
        /// </summary>
        private static SyntaxNode? AssignmentOrDeclaratorAt(SyntaxToken identifier)
        {
            if (identifier.Parent is VariableDeclaratorSyntax declarator)
            {
                return declarator.Identifier == identifier ? declarator : null;
            }

            for (SyntaxNode? node = identifier.Parent; node is not null; node = node.Parent)
            {
                switch (node.Parent)
                {
                    case AssignmentExpressionSyntax assignment:
                        return assignment.Left == node ? assignment : null;
                    case ParenthesizedVariableDesignationSyntax or DeclarationExpressionSyntax or TupleExpressionSyntax or ArgumentSyntax or ParenthesizedExpressionSyntax:
                        continue;
                    default:
                        return null;
                }
            }

            return null;
        }

        /// <summary>A field's or property's initialiser and the assignments to it in its class, in this file.</summary>
        private IEnumerable<IOperation> AssignedToMember(ISymbol member)
        {
            var initializers = member.DeclaringSyntaxReferences
                .Where(reference => reference.SyntaxTree == model.SyntaxTree)
                .Select(reference => reference.GetSyntax(cancellationToken) switch
                {
                    VariableDeclaratorSyntax declarator => declarator.Initializer?.Value,
                    PropertyDeclarationSyntax property => property.Initializer?.Value,
                    _ => null,
                })
                .OfType<ExpressionSyntax>();
            var assignments = member.ContainingType.DeclaringSyntaxReferences
                .Where(reference => reference.SyntaxTree == model.SyntaxTree)
                .SelectMany(reference => reference.GetSyntax(cancellationToken).DescendantNodes().OfType<AssignmentExpressionSyntax>())
                .Where(assignment => assignment.Left is IdentifierNameSyntax { Identifier.ValueText: var name } && name == member.Name
                    || assignment.Left is MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax, Name.Identifier.ValueText: var accessed } && accessed == member.Name)
                .Select(assignment => model.GetOperation(assignment, cancellationToken))
                .OfType<ISimpleAssignmentOperation>()
                .Where(assignment => SymbolEqualityComparer.Default.Equals(ReferencedMember(assignment.Target), member))
                .Select(assignment => assignment.Value);
            return initializers.Select(initializer => model.GetOperation(initializer, cancellationToken)).OfType<IOperation>().Concat(assignments);
        }

        private static ISymbol? ReferencedMember(IOperation target) => target switch
        {
            IFieldReferenceOperation field => field.Field,
            IPropertyReferenceOperation property => property.Property,
            _ => null,
        };

        private static bool IsVariable(IOperation operation) =>
            Unwrap(operation) is ILocalReferenceOperation or IFieldReferenceOperation or IPropertyReferenceOperation or IParameterReferenceOperation or IInstanceReferenceOperation;

        private static IOperation Unwrap(IOperation operation)
        {
            while (true)
            {
                switch (operation)
                {
                    case IConversionOperation conversion:
                        operation = conversion.Operand;
                        break;
                    case IParenthesizedOperation parenthesized:
                        operation = parenthesized.Operand;
                        break;
                    default:
                        return operation;
                }
            }
        }
    }
}
