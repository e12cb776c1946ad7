using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace GradGuard.Analyzers.NetworkModel
{
    /// <summary>
    /// Recovers networks by running the code that builds them in the abstract: which modules go into which
    /// containers, how <c>forward</c> routes a tensor through them, and which init calls reach which weights.
    /// Everything is bounded (steps, call depth, loop counts) so half-typed code and recursion cannot hang or throw.
    /// </summary>
    internal sealed partial class NetworkInterpreter
    {
        private const int MaxCallDepth = 8;
        private const int MaxSteps = 100_000;
        private const long MaxLoopCount = 1_000_000;
        private const int MaxElementsIterated = 1_000;

        private readonly TorchSymbols torch;
        private readonly SemanticModels models;
        private readonly CancellationToken cancellationToken;
        private readonly HashSet<ISymbol> running = new(SymbolEqualityComparer.Default);
        private readonly List<ModuleValue> topLevelSequentials = new();
        private int callDepth;
        private int steps;

        public NetworkInterpreter(TorchSymbols torch, SemanticModels models, CancellationToken cancellationToken)
        {
            this.torch = torch;
            this.models = models;
            this.cancellationToken = cancellationToken;
        }

        /// <summary>
        /// The networks a member's code builds with <c>Sequential</c> and does not put inside a bigger module:
        /// each is reported at its own call.
        /// </summary>
        public IEnumerable<Network> NetworksBuiltBy(IOperation body)
        {
            Execute(body, new Frame(new Dictionary<ISymbol, Value>(SymbolEqualityComparer.Default)));

            foreach (var sequential in topLevelSequentials.Where(s => !s.IsNested))
            {
                if (sequential.BuiltBySequential?.Syntax is InvocationExpressionSyntax call)
                {
                    yield return new Network("Sequential", call.Expression.GetLocation(), sequential.Nodes.ToImmutableArray());
                }
            }
        }

        /// <summary>The network a custom module class defines, built with its constructor's default arguments.</summary>
        public Network? NetworkOfClass(INamedTypeSymbol type, Location location)
        {
            var constructor = type.InstanceConstructors.FirstOrDefault(c => !c.IsImplicitlyDeclared) ?? type.InstanceConstructors.FirstOrDefault();
            var module = Instantiate(type, constructor, ImmutableDictionary<IParameterSymbol, Value?>.Empty);
            return module is null ? null : new Network(type.Name, location, module.Nodes.ToImmutableArray());
        }

        private bool Tick()
        {
            cancellationToken.ThrowIfCancellationRequested();
            return ++steps <= MaxSteps;
        }

        private SemanticModel? ModelFor(SyntaxNode node) => models.For(node.SyntaxTree);

        private IOperation? BodyOf(IMethodSymbol method)
        {
            var definition = method.PartialImplementationPart ?? method.OriginalDefinition;
            foreach (var reference in definition.DeclaringSyntaxReferences)
            {
                var syntax = reference.GetSyntax(cancellationToken);
                if (syntax is BaseMethodDeclarationSyntax or LocalFunctionStatementSyntax or AccessorDeclarationSyntax
                    && ModelFor(syntax)?.GetOperation(syntax, cancellationToken) is { } body)
                {
                    return body;
                }
            }

            return null;
        }

        /// <summary>Runs a method or constructor body in a frame, unless it is already running or calls are too deep.</summary>
        private void RunBody(ISymbol owner, IOperation? body, Frame frame)
        {
            if (body is null || callDepth >= MaxCallDepth || !running.Add(owner))
            {
                return;
            }

            callDepth++;
            try
            {
                Execute(body, frame);
            }
            finally
            {
                callDepth--;
                running.Remove(owner);
            }
        }

        private ModuleValue? Instantiate(INamedTypeSymbol type, IMethodSymbol? constructor, IReadOnlyDictionary<IParameterSymbol, Value?> arguments)
        {
            var forward = FindForward(type);
            if (forward is null || callDepth >= MaxCallDepth || !running.Add(type))
            {
                return null;
            }

            callDepth++;
            try
            {
                var fields = new Dictionary<ISymbol, Value>(SymbolEqualityComparer.Default);
                var instance = new Frame(fields);
                foreach (var sourceType in SourceTypesFromBase(type))
                {
                    RunInitializers(sourceType, instance);
                }

                if (constructor is not null)
                {
                    var constructorFrame = new Frame(fields);
                    BindParameters(constructorFrame, constructor.Parameters, arguments);
                    RunBody(constructor, BodyOf(constructor), constructorFrame);
                }

                var forwardFrame = new Frame(fields);
                forwardFrame.Locals[forward.Parameters[0]] = new TensorValue(ImmutableArray<Node>.Empty);
                RunBody(forward, BodyOf(forward), forwardFrame);
                return forwardFrame.Returned is TensorValue output ? new ModuleValue(output.Path) : null;
            }
            finally
            {
                callDepth--;
                running.Remove(type);
            }
        }

        private IMethodSymbol? FindForward(INamedTypeSymbol type)
        {
            for (var current = type; current is not null && !torch.IsTorchSharp(current); current = current.BaseType)
            {
                foreach (var member in current.GetMembers("forward"))
                {
                    if (member is IMethodSymbol { IsAbstract: false, Parameters.Length: 1 } forward && torch.IsTensor(forward.Parameters[0].Type))
                    {
                        return forward;
                    }
                }
            }

            return null;
        }

        private IEnumerable<INamedTypeSymbol> SourceTypesFromBase(INamedTypeSymbol type)
        {
            var chain = new Stack<INamedTypeSymbol>();
            for (var current = type; current is not null && !torch.IsTorchSharp(current); current = current.BaseType)
            {
                chain.Push(current);
            }

            return chain;
        }

        private void RunInitializers(INamedTypeSymbol type, Frame instance)
        {
            foreach (var member in type.GetMembers())
            {
                if (member is not (IFieldSymbol { IsConst: false } or IPropertySymbol))
                {
                    continue;
                }

                foreach (var reference in member.DeclaringSyntaxReferences)
                {
                    var initializer = reference.GetSyntax(cancellationToken) switch
                    {
                        VariableDeclaratorSyntax declarator => declarator.Initializer,
                        PropertyDeclarationSyntax property => property.Initializer,
                        _ => null,
                    };
                    if (initializer is not null
                        && ModelFor(initializer)?.GetOperation(initializer, cancellationToken) is ISymbolInitializerOperation operation
                        && Eval(operation.Value, instance) is { } value)
                    {
                        instance.Fields[member] = value;
                    }
                }
            }
        }

        private void BindParameters(Frame frame, ImmutableArray<IParameterSymbol> parameters, IReadOnlyDictionary<IParameterSymbol, Value?> arguments)
        {
            foreach (var parameter in parameters)
            {
                if (arguments.TryGetValue(parameter, out var value) && value is not null)
                {
                    frame.Locals[parameter] = value;
                }
                else if (parameter.HasExplicitDefaultValue && AsInteger(parameter.ExplicitDefaultValue) is { } number)
                {
                    frame.Locals[parameter] = new IntValue(number);
                }
            }
        }

        private static long? AsInteger(object? constant) => constant switch
        {
            int i => i,
            long l => l,
            short s => s,
            byte b => b,
            uint u => u,
            _ => null,
        };

        /// <summary>Locals of one running body, and the fields of the module instance it runs on.</summary>
        private sealed class Frame
        {
            public Frame(Dictionary<ISymbol, Value> fields) => Fields = fields;

            public Dictionary<ISymbol, Value> Locals { get; } = new(SymbolEqualityComparer.Default);

            public Dictionary<ISymbol, Value> Fields { get; }

            public Value? Returned { get; set; }

            public bool HasReturned { get; set; }
        }
    }
}
