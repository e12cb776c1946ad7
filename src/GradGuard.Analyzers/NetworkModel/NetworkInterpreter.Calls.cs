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
        private Value? EvalInvocation(IInvocationOperation invocation, Frame frame)
        {
            var method = invocation.TargetMethod;
            if (method.MethodKind == MethodKind.DelegateInvoke)
            {
                return Invoke(Eval(invocation.Instance, frame), EvalArguments(invocation.Arguments, frame));
            }

            if (torch.IsInitMethod(method))
            {
                ApplyInit(invocation, Eval(invocation.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == 0)?.Value, frame), frame);
                return null;
            }

            var receiver = Eval(invocation.Instance, frame);
            var arguments = ArgumentsOf(invocation.Arguments, method, frame);
            if (invocation.Instance is null && method.IsExtensionMethod && method.Parameters.Length > 0)
            {
                // model.to(device) is TorchSharp's extension method: its first argument is the receiver.
                receiver = arguments[method.Parameters[0]];
            }

            if (torch.IsTorchSharp(method))
            {
                return EvalTorchSharpCall(invocation, receiver, arguments, frame);
            }

            if (method.Name == "forward" && receiver is ModuleValue called)
            {
                return CallModule(called, arguments.Values);
            }

            // Copied only for an extension method called as a static one, whose first argument is its receiver.
            var rest = invocation.Instance is null && method.IsExtensionMethod ? arguments.Values.Skip(1).ToList() : arguments.Values;
            if (EvalLibraryCall(method, receiver, rest) is { } library)
            {
                return library;
            }

            if (!method.DeclaringSyntaxReferences.IsEmpty)
            {
                return Call(method, invocation.Instance is null or IInstanceReferenceOperation ? frame.Instance : receiver, arguments, frame);
            }

            return Opaque(invocation, receiver, arguments.Values);
        }

        private static IOperation Unwrap(IOperation operation) =>
            operation is IConversionOperation conversion ? Unwrap(conversion.Operand) : operation;

        /// <summary>
        /// A method GradGuard cannot read (another library's) that takes tensors and returns one: the tensor goes on
        /// through something unknown, which breaks every run and adds no depth.
        /// </summary>
        private Value? Opaque(IInvocationOperation invocation, Value? receiver, IReadOnlyList<Value?> arguments)
        {
            var tensors = Tensors(receiver, arguments);
            return torch.IsTensor(invocation.Type) && tensors.Count > 0
                ? Merge(tensors, JoinKind.Parallel)!.Then(new[] { new LayerNode(LayerKind.Opaque, invocation.TargetMethod.Name, null, invocation.Syntax) })
                : null;
        }

        /// <summary>Follows a method of the compilation (a helper that builds or initialises modules), bounded.</summary>
        private Value? Call(IMethodSymbol method, Value? instance, Arguments arguments, Frame frame)
        {
            var definition = method.OriginalDefinition;
            var callee = definition.MethodKind == MethodKind.LocalFunction
                ? new Frame(frame.Fields, frame.Instance, frame)
                : new Frame(definition.IsStatic ? new Dictionary<ISymbol, Value>(SymbolEqualityComparer.Default) : FieldsOf(instance), definition.IsStatic ? null : instance);
            BindParameters(callee, definition.Parameters, arguments);
            RunBody(definition, bodies.Of(method, cancellationToken), callee);
            return Join(callee.Returns);
        }

        /// <summary>Calls a lambda in the frame it captured, or a method group on its receiver.</summary>
        private Value? Invoke(Value? target, IReadOnlyList<Value?> arguments)
        {
            switch (target)
            {
                case DelegateValue { Lambda: { } lambda, Captured: { } captured }:
                    var frame = new Frame(captured.Fields, captured.Instance, captured);
                    var parameters = lambda.Symbol.Parameters;
                    for (var index = 0; index < parameters.Length && index < arguments.Count; index++)
                    {
                        DeclareLocal(frame, parameters[index], arguments[index]);
                    }

                    RunBody(lambda.Symbol, lambda.Body, frame);
                    return Join(frame.Returns);
                case DelegateValue { Method: { } method } group:
                    var values = new Value?[method.Parameters.Length];
                    for (var index = 0; index < values.Length && index < arguments.Count; index++)
                    {
                        values[index] = arguments[index];
                    }

                    return method.DeclaringSyntaxReferences.IsEmpty ? null : Call(method, group.Receiver, new Arguments(values), new Frame(FieldsOf(group.Receiver), group.Receiver));
                default:
                    return null;
            }
        }

        /// <summary>
        /// <c>new</c>: a custom module is built; a list, array or dictionary holds what it is given; a class, struct or
        /// record of the compilation runs its initialisers and constructor; anything else is unknown.
        /// </summary>
        [MethodImpl(HotPaths.Optimized)]
        private Value? EvalCreation(IObjectCreationOperation creation, Frame frame)
        {
            var arguments = ArgumentsOf(creation.Arguments, creation.Constructor, frame);
            if (creation.Type is not INamedTypeSymbol type)
            {
                return null;
            }

            if (torch.IsCustomModule(type))
            {
                foreach (var module in arguments.Values.OfType<ModuleValue>())
                {
                    module.IsNested = true;
                }

                var outermost = instantiationDepth == 0;
                var instance = Instantiate(type, creation.Constructor, arguments);
                if (instance is not null && outermost && !builtOutsideModules.Contains(instance))
                {
                    builtOutsideModules.Add(instance);
                }

                return instance;
            }

            if (NewCollection(type, arguments.Values) is { } collection)
            {
                if (creation.Initializer is not null)
                {
                    foreach (var element in creation.Initializer.Initializers)
                    {
                        InitializeElement(collection, element, frame);
                    }
                }

                return collection;
            }

            if (type.DeclaringSyntaxReferences.IsEmpty || type.TypeKind is not (TypeKind.Class or TypeKind.Struct))
            {
                return null;
            }

            var instanceOfClass = new ObjectValue();
            var instanceFrame = new Frame(instanceOfClass.Fields, instanceOfClass);
            RunInitializersFromBase(type, instanceFrame);

            if (creation.Constructor is { } constructor)
            {
                if (constructor.IsImplicitlyDeclared || constructor.DeclaringSyntaxReferences.All(r => r.GetSyntax(cancellationToken) is Microsoft.CodeAnalysis.CSharp.Syntax.TypeDeclarationSyntax))
                {
                    // A record's primary constructor sets the properties named like its parameters.
                    foreach (var parameter in constructor.Parameters)
                    {
                        if (type.GetMembers(parameter.Name).FirstOrDefault() is IPropertySymbol property && arguments[parameter] is { } value)
                        {
                            instanceOfClass.Fields[property.OriginalDefinition] = value;
                        }
                    }
                }
                else
                {
                    RunConstructor(constructor.OriginalDefinition, arguments, instanceOfClass);
                }
            }

            if (creation.Initializer is not null)
            {
                foreach (var element in creation.Initializer.Initializers)
                {
                    InitializeElement(instanceOfClass, element, frame);
                }
            }

            reached.Add(type.OriginalDefinition);
            return instanceOfClass;
        }

        private Value EvalAnonymousObject(IAnonymousObjectCreationOperation creation, Frame frame)
        {
            var instance = new ObjectValue();
            foreach (var initializer in creation.Initializers)
            {
                InitializeElement(instance, initializer, frame);
            }

            return instance;
        }

        /// <summary>One element of an object or collection initialiser: <c>{ a, b }</c>, <c>{ key, value }</c>, <c>Name = v</c>, <c>[key] = v</c>.</summary>
        private void InitializeElement(Value created, IOperation element, Frame frame)
        {
            switch (element)
            {
                case IInvocationOperation add:
                    Append(created, EvalArguments(add.Arguments, frame));
                    break;
                case ISimpleAssignmentOperation { Target: IPropertyReferenceOperation { Arguments.Length: > 0 } indexer } assignment:
                    StoreElement(created, Eval(indexer.Arguments[0].Value, frame), Eval(assignment.Value, frame));
                    break;
                case ISimpleAssignmentOperation { Target: IMemberReferenceOperation member } assignment:
                    var value = Eval(assignment.Value, frame);
                    if (value is not null && created is ObjectValue instance)
                    {
                        instance.Fields[member.Member.OriginalDefinition] = value;
                    }
                    else if (value is not null && created is ModuleValue { Fields: { } fields })
                    {
                        fields[member.Member.OriginalDefinition] = value;
                    }

                    break;
            }
        }
    }
}
